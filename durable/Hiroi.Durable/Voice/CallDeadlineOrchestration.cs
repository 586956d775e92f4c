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
public static class CallDeadlineOrchestration
{
    public const string Name = "CallDeadline";
    public const string ReachedActivity = "CallDeadlineReached";

    public static string InstanceId(OrgId org, string callId) =>
        "call-deadline-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(org.Value + "\n" + callId)).AsSpan(0, 16));

    public static async Task<string> RunAsync(TaskOrchestrationContext context, CallDeadline deadline)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(deadline);
        await context.CreateTimer(deadline.EndsAt.UtcDateTime, CancellationToken.None);
        await context.CallActivityAsync(ReachedActivity, new CallDeadlineReached(deadline.Org, deadline.CallId, HardStop: false));
        await context.CreateTimer(deadline.EndsAt.AddSeconds(deadline.GraceSeconds).UtcDateTime, CancellationToken.None);
        await context.CallActivityAsync(ReachedActivity, new CallDeadlineReached(deadline.Org, deadline.CallId, HardStop: true));
        return "done";
    }
}

public sealed record CallDeadlineReached(string Org, string CallId, bool HardStop);

/// <summary>The deadline's one step: the call decides (goodbye, or hang up after the grace) from its own row.</summary>
public sealed class CallDeadlineActivities(VoiceCalls voice)
{
    public async Task<bool> ReachedAsync(CallDeadlineReached input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (OrgId.TryParse(input.Org, out var org))
        {
            await voice.DecideAsync(org, input.CallId, new VoiceEvent.Deadline(input.HardStop), cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}

/// <summary>The self-host's registration of <see cref="CallDeadlineOrchestration.ReachedActivity"/>.</summary>
public sealed class CallDeadlineActivity(CallDeadlineActivities activities) : TaskActivity<CallDeadlineReached, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, CallDeadlineReached input) => activities.ReachedAsync(input, CancellationToken.None);
}
