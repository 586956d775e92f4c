namespace Hiroi.Durable;

public enum StepKind
{
    /// <summary>Step again now.</summary>
    Continue,

    /// <summary>Step again at <see cref="StepOutcome.At"/> (a durable timer), or sooner if a command wakes the workflow.</summary>
    DeferUntil,

    /// <summary>Stop stepping: finished, cancelled or gone; or paused or not started, until a command wakes it (<see cref="StepOutcome.Why"/>).</summary>
    Stop,
}

/// <summary>
/// What a step asks of its workflow. A flat record on purpose: it crosses the activity boundary as JSON, and the
/// Functions worker serializes an activity's result by its runtime type, which would drop a polymorphic type's
/// discriminator (Azure/azure-functions-durable-extension#3013).
/// </summary>
public sealed record StepOutcome(StepKind Kind, DateTimeOffset? At = null, string? Why = null)
{
    public static StepOutcome Continue() => new(StepKind.Continue);

    public static StepOutcome DeferUntil(DateTimeOffset at) => new(StepKind.DeferUntil, At: at);

    public static StepOutcome Stop(string why) => new(StepKind.Stop, Why: why);
}
