using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice;
using Microsoft.Extensions.Options;

namespace Hiroi.Durable.Workflows;

/// <summary>Call deadlines as Durable orchestrations (both hosts), one per call.</summary>
public sealed class DurableVoiceDeadlines(WorkflowStarter workflows, IOptions<VoiceOptions> options) : IVoiceDeadlines
{
    public Task ScheduleAsync(OrgId org, string callId, DateTimeOffset endsAt, CancellationToken cancellationToken) =>
        workflows.StartCallDeadlineAsync(org, callId, endsAt, options.Value.HangUpGraceSeconds, cancellationToken);
}
