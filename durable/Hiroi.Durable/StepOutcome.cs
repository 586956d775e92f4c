using System.Text.Json.Serialization;

namespace Hiroi.Durable;

/// <summary>What a step asks of its driver. It crosses the Durable activity boundary as JSON, so the kind is named in it.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "outcome")]
[JsonDerivedType(typeof(Continue), "continue")]
[JsonDerivedType(typeof(DeferUntil), "deferUntil")]
[JsonDerivedType(typeof(Stop), "stop")]
[JsonDerivedType(typeof(Stale), "stale")]
[JsonDerivedType(typeof(NotCurrent), "notCurrent")]
public abstract record StepOutcome
{
    /// <summary>Step again now.</summary>
    public sealed record Continue : StepOutcome;

    /// <summary>Step again at <paramref name="At"/> (a durable timer, or a queue message's visibility delay).</summary>
    public sealed record DeferUntil(DateTimeOffset At) : StepOutcome;

    /// <summary>Stop stepping: the campaign is finished, paused, cancelled or gone.</summary>
    public sealed record Stop(string Why) : StepOutcome;

    /// <summary>This driver's chain is not the campaign's current one (a duplicate message, or another worker won): drop it.</summary>
    public sealed record Stale : StepOutcome;

    /// <summary>
    /// Not the current chain, unless the current one was lost (a driver died between checkpoint and scheduling): ask
    /// again at <paramref name="OrphanedAt"/>, when a chain that is still alive will have stepped since.
    /// </summary>
    public sealed record NotCurrent(DateTimeOffset OrphanedAt) : StepOutcome;
}
