using Microsoft.DurableTask;

namespace Hiroi.Functions.Hosting;

/// <summary>
/// What a class-based activity is told about its call when the Durable extension runs it as a function: its name and the
/// instance id of the orchestration that called it (the function binds <c>instanceId</c> from the trigger). The
/// self-host's worker makes its own.
/// </summary>
public sealed class FunctionActivityContext(TaskName name, string instanceId) : TaskActivityContext
{
    public override TaskName Name { get; } = name;

    public override string InstanceId { get; } = instanceId;
}
