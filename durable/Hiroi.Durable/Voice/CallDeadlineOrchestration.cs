using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice;
using Microsoft.DurableTask;

namespace Hiroi.Durable.Voice;

// Orchestrator code must resume on the orchestration's own context: no ConfigureAwait(false) here.
#pragma warning disable CA2007

/// <summary>The input of a call's deadline: whose call, when its time is up, and how long its goodbye may take. Ids only.</summary>
public sealed record CallDeadline(string Org, string CallId, DateTimeOffset EndsAt, int GraceSeconds);

/// <summary>
/// One durable timer per call with an agent, started when it connects: at the call's maximum duration the agent says
/// goodbye (checked on every callback too, but a silent line sends none), and if the call is still up after the grace
/// period, it is hung up. Callbacks, not this timer, normally end a call; the timer is what a silent line cannot outlive.
/// </summary>
[DurableTask(CallDeadlineOrchestration.Name)]
public sealed class CallDeadlineOrchestration : TaskOrchestrator<CallDeadline, string>
{
    public const string Name = "CallDeadline";

    public static string InstanceId(OrgId org, string callId) =>
        "call-deadline-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(org.Value + "\n" + callId)).AsSpan(0, 16));

    public override async Task<string> RunAsync(TaskOrchestrationContext context, CallDeadline input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        await context.CreateTimer(input.EndsAt.UtcDateTime, CancellationToken.None);
        await context.CallActivityAsync(CallDeadlineActivity.Name, new CallDeadlineReached(input.Org, input.CallId, HardStop: false));
        await context.CreateTimer(input.EndsAt.AddSeconds(input.GraceSeconds).UtcDateTime, CancellationToken.None);
        await context.CallActivityAsync(CallDeadlineActivity.Name, new CallDeadlineReached(input.Org, input.CallId, HardStop: true));
        return "done";
    }
}

public sealed record CallDeadlineReached(string Org, string CallId, bool HardStop);

/// <summary>The deadline's one step: the call decides (goodbye, or hang up after the grace) from its own row.</summary>
[DurableTask(CallDeadlineActivity.Name)]
public sealed class CallDeadlineActivity(VoiceCalls voice) : TaskActivity<CallDeadlineReached, bool>
{
    public const string Name = "CallDeadlineReached";

    public override async Task<bool> RunAsync(TaskActivityContext context, CallDeadlineReached input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (OrgId.TryParse(input.Org, out var org))
        {
            await voice.DecideAsync(org, input.CallId, new VoiceEvent.Deadline(input.HardStop), CancellationToken.None).ConfigureAwait(false);
        }

        return true;
    }
}
