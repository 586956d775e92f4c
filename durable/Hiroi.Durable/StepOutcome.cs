using System.Text.Json.Serialization;

namespace Hiroi.Durable;

/// <summary>What a step asks of its driver. It crosses the Durable activity boundary as JSON, so the kind is named in it.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "outcome")]
[JsonDerivedType(typeof(Continue), "continue")]
[JsonDerivedType(typeof(DeferUntil), "deferUntil")]
[JsonDerivedType(typeof(Stop), "stop")]
public abstract record StepOutcome
{
    /// <summary>Step again now.</summary>
    public sealed record Continue : StepOutcome;

    /// <summary>Step again at <paramref name="At"/> (a durable timer), or sooner if a command wakes the workflow.</summary>
    public sealed record DeferUntil(DateTimeOffset At) : StepOutcome;

    /// <summary>Stop stepping: the campaign is finished, cancelled or gone; or paused or not started, until a command wakes it.</summary>
    public sealed record Stop(string Why) : StepOutcome;
}
