using System.Globalization;
using System.Security.Claims;
using Hiroi.Durable.Campaigns;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Campaigns;

public sealed record CampaignWindow(string? Start, string? End);

public sealed record CampaignRetry(int? MaxAttempts, int? BackoffMinutes, string[]? On);

/// <param name="Message">An SMS campaign's text; a call campaign's opening line (its agent's greeting otherwise).</param>
public sealed record CreateCampaignRequest(
    string? Name, string? Channel, string? AgentId, string? ListId, string[]? SenderNumbers, string? Message, CampaignWindow? Window,
    int? DailyCap, int? PacingPerSenderPerMinute, CampaignRetry? Retry, int? OutcomeTimeoutSeconds, DateTimeOffset? EndsAt, CampaignVoicemail? Voicemail = null);

/// <summary>What a call campaign does on an answering machine: leave <paramref name="Message"/>, or hang up.</summary>
public sealed record CampaignVoicemail(string? Message, string? Action);

public sealed record CampaignProgress(
    int Total, IReadOnlyDictionary<string, int> ByState, IReadOnlyDictionary<string, int> ByOutcome, IReadOnlyDictionary<string, int> SkippedByReason,
    DateTimeOffset? NextEligibleAt, int DispatchedLastMinute);

public sealed record CampaignResponse(
    string Id, string Name, string Channel, string? AgentId, string ListId, string[] SenderNumbers, string State, string? FailureReason,
    string WindowStart, string WindowEnd, int DailyCap, int PacingPerSenderPerMinute, int MaxAttempts, int RetryBackoffMinutes, string[] RetryOn,
    int OutcomeTimeoutSeconds, DateTimeOffset? EndsAt, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, CampaignProgress? Progress,
    CampaignVoicemail? Voicemail = null);

public sealed record CampaignContactResponse(
    string Number, string State, int Attempt, string? Outcome, string? Reason, DateTimeOffset DueAt, DateTimeOffset? DispatchedAt, DateTimeOffset? SettledAt);

/// <summary>Campaigns (admin+ to create and command; members read): create, start, pause, resume, cancel, progress and per-contact outcomes.</summary>
public static class CampaignsApi
{
    public static RouteGroupBuilder MapCampaigns(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var campaigns = api.MapGroup("/campaigns").WithTags("Campaigns");
        campaigns.MapGet("/", ListAsync).WithName("ListCampaigns");
        campaigns.MapPost("/", CreateAsync).WithName("CreateCampaign").RequireAuthorization(Policies.Admin);
        campaigns.MapGet("/{campaignId}", GetAsync).WithName("GetCampaign");
        campaigns.MapGet("/{campaignId}/contacts", ContactsAsync).WithName("ListCampaignContacts");
        foreach (var command in new[] { CampaignCommands.Start, CampaignCommands.Pause, CampaignCommands.Resume, CampaignCommands.Cancel })
        {
            campaigns.MapPost("/{campaignId}/" + command, (string campaignId, ClaimsPrincipal user, CampaignCommands commands, CampaignRepository rows, CancellationToken ct) =>
                CommandAsync(campaignId, command, user, commands, rows, ct)).WithName(CommandEndpointName(command)).RequireAuthorization(Policies.Admin);
        }

        return api;
    }

    /// <summary><c>StartCampaign</c>, <c>PauseCampaign</c>, …</summary>
    public static string CommandEndpointName(string command) => char.ToUpperInvariant(command[0]) + command[1..] + "Campaign";

    public static async Task<Ok<CampaignResponse[]>> ListAsync(ClaimsPrincipal user, CampaignRepository campaigns, CancellationToken cancellationToken) =>
        TypedResults.Ok(await campaigns.ListAsync(user.ToCaller().OrgId, cancellationToken).Select(c => Response(c, null)).ToArrayAsync(cancellationToken));

    public static async Task<Results<Ok<CampaignResponse>, ProblemHttpResult>> GetAsync(
        string campaignId, ClaimsPrincipal user, CampaignRepository campaigns, CampaignContactRepository contacts, TimeProvider time, CancellationToken cancellationToken)
    {
        var org = user.ToCaller().OrgId;
        if (await campaigns.FindAsync(org, campaignId, cancellationToken) is not { } campaign)
        {
            return OrgProblems.NotFound("campaign");
        }

        var rows = await contacts.ListAsync(org, campaignId, cancellationToken).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var progress = new CampaignProgress(
            rows.Count,
            ContactStates.All.ToDictionary(s => s, s => rows.Count(r => r.State == s)),
            rows.Where(r => r.Outcome is not null).GroupBy(r => r.Outcome!).ToDictionary(g => g.Key, g => g.Count()),
            rows.Where(r => r.State == ContactStates.Skipped).GroupBy(r => r.Reason ?? "unknown").ToDictionary(g => g.Key, g => g.Count()),
            campaign.NextEligibleAt,
            rows.Count(r => r.DispatchedAt > now.AddMinutes(-1)));
        return TypedResults.Ok(Response(campaign, progress));
    }

    public static async Task<Results<Ok<CampaignContactResponse[]>, ProblemHttpResult>> ContactsAsync(
        string campaignId, ClaimsPrincipal user, CampaignRepository campaigns, CampaignContactRepository contacts, CancellationToken cancellationToken)
    {
        var org = user.ToCaller().OrgId;
        if (await campaigns.FindAsync(org, campaignId, cancellationToken) is null)
        {
            return OrgProblems.NotFound("campaign");
        }

        return TypedResults.Ok(await contacts.ListAsync(org, campaignId, cancellationToken)
            .Select(c => new CampaignContactResponse(c.Number, c.State, c.Attempt, c.Outcome, c.Reason, c.DueAt, c.DispatchedAt, c.SettledAt))
            .ToArrayAsync(cancellationToken));
    }

    public static async Task<Results<Created<CampaignResponse>, ValidationProblem>> CreateAsync(
        CreateCampaignRequest request, ClaimsPrincipal user, CampaignRepository campaigns, ContactListRepository lists, NumberRegistry numbers,
        AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = user.ToCaller();
        var validation = new Validation();
        var campaign = CampaignRequestReader.Read(request, validation);
        validation.Require(request.EndsAt is null || (request.EndsAt > time.GetUtcNow() && request.EndsAt < time.GetUtcNow().AddYears(1)), "endsAt", "must be in the coming year");
        if (request.ListId is not null && await lists.FindAsync(caller.OrgId, request.ListId, cancellationToken) is null)
        {
            validation.Add("listId", "is not a list of this org");
        }

        foreach (var sender in campaign.Senders)
        {
            if (await numbers.OwnerAsync(sender, cancellationToken) != caller.OrgId)
            {
                validation.Add("senderNumbers", $"{sender} is not a number registered to this org");
            }
        }

        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        campaign.RowKey = CampaignEntity.NewId();
        campaign.CreatedAt = time.GetUtcNow();
        await campaigns.AddAsync(caller.OrgId, campaign, cancellationToken);
        await audit.RecordAsync(caller, AuditActions.CampaignCreated, "campaign:" + campaign.RowKey, campaign.Channel, cancellationToken);
        return TypedResults.Created($"/api/campaigns/{campaign.RowKey}", Response(campaign, null));
    }

    private static async Task<Results<Ok<CampaignResponse>, ProblemHttpResult>> CommandAsync(
        string campaignId, string command, ClaimsPrincipal user, CampaignCommands commands, CampaignRepository campaigns, CancellationToken cancellationToken)
    {
        var caller = user.ToCaller();
        var result = await commands.RunAsync(caller, campaignId, command, cancellationToken);
        if (result == CommandResult.NotFound)
        {
            return OrgProblems.NotFound("campaign");
        }

        var campaign = (await campaigns.FindAsync(caller.OrgId, campaignId, cancellationToken))!;
        return result == CommandResult.NotAllowed
            ? TypedResults.Problem(statusCode: 409, title: "Conflict", detail: $"A {campaign.State} campaign cannot {command}.")
            : TypedResults.Ok(Response(campaign, null));
    }

    private static CampaignResponse Response(CampaignEntity c, CampaignProgress? progress) => new(
        c.RowKey, c.Name, c.Channel, c.AgentId, c.ListId, [.. c.Senders], c.State, c.FailureReason, Clock(c.WindowStartMinutes), Clock(c.WindowEndMinutes),
        c.DailyCap, c.PacingPerSenderPerMinute, c.MaxAttempts, c.RetryBackoffMinutes, [.. c.RetryOutcomes.Order(StringComparer.Ordinal)], c.OutcomeTimeoutSeconds,
        c.EndsAt, c.CreatedAt, c.StartedAt, c.FinishedAt, progress,
        c.Channel == Channels.Call ? new CampaignVoicemail(c.VoicemailMessage, c.VoicemailAction) : null);

    private static string Clock(int minutes) => $"{minutes / 60:D2}:{minutes % 60:D2}";
}

/// <summary>Reads and checks a create request into a campaign row, noting every bad field.</summary>
internal static class CampaignRequestReader
{
    public static CampaignEntity Read(CreateCampaignRequest request, Validation validation)
    {
        validation.Require(DisplayText.TryClean(request.Name, 200, out var name), "name", "is required, at most 200 printable characters");
        validation.Require(request.Channel is Channels.Sms or Channels.Call, "channel", "must be sms or call");
        validation.Require(!string.IsNullOrEmpty(request.ListId), "listId", "is required");
        validation.Require(request.AgentId is null || request.AgentId.Length <= 100, "agentId", "is at most 100 characters");
        var senders = new List<string>();
        foreach (var number in request.SenderNumbers ?? [])
        {
            if (E164.TryNormalize(number, out var e164))
            {
                senders.Add(e164);
            }
            else
            {
                validation.Add("senderNumbers", "must be phone numbers in E.164 form");
            }
        }

        validation.Require(senders.Count is > 0 and <= 50, "senderNumbers", "needs 1 to 50 of the org's numbers");
        if (request.Channel == Channels.Sms)
        {
            validation.Require(!string.IsNullOrWhiteSpace(request.Message) && request.Message.Length <= 1600, "message", "is required for SMS, at most 1600 characters");
        }
        else
        {
            validation.Require(request.Message is null || (request.Message.Length <= 1000 && DisplayText.IsClean(request.Message)),
                "message", "a call's opening line: at most 1000 characters of text");
            validation.Require(request.Voicemail?.Message is null || (request.Voicemail.Message.Length <= 1000 && DisplayText.IsClean(request.Voicemail.Message)),
                "voicemail.message", "at most 1000 characters of text");
            validation.Require(request.Voicemail?.Action is null or VoicemailActions.Leave or VoicemailActions.HangUp, "voicemail.action",
                $"must be {VoicemailActions.Leave} or {VoicemailActions.HangUp}");
        }

        var start = Minutes(request.Window?.Start, DailyWindow.Tcpa.StartMinutes, "window.start", validation);
        var end = Minutes(request.Window?.End, DailyWindow.Tcpa.EndMinutes, "window.end", validation);
        validation.Require(start < end, "window", "start must be before end");
        validation.Require(new DailyWindow(start, end).Intersect(DailyWindow.Tcpa) is { IsEmpty: false }, "window", "must overlap 08:00-21:00, the hours the law allows");
        var retryOn = request.Retry?.On ?? [];
        validation.Require(retryOn.All(o => Outcomes.Retryable.Contains(o)), "retry.on", "may name " + string.Join(", ", Outcomes.Retryable) + " (a decline is never retried)");
        validation.Require(request.DailyCap is null or (>= 0 and <= 1_000_000), "dailyCap", "must be 0 (none) to 1000000");
        validation.Require(request.PacingPerSenderPerMinute is null or (>= 0 and <= 600), "pacingPerSenderPerMinute", "must be 0 (none) to 600");
        validation.Require(request.Retry?.MaxAttempts is null or (>= 1 and <= 10), "retry.maxAttempts", "must be 1 to 10");
        validation.Require(request.Retry?.BackoffMinutes is null or (>= 1 and <= 10_080), "retry.backoffMinutes", "must be 1 to 10080");
        validation.Require(request.OutcomeTimeoutSeconds is null or (>= 10 and <= 86_400), "outcomeTimeoutSeconds", "must be 10 to 86400");
        return new CampaignEntity
        {
            Name = name ?? string.Empty, Channel = request.Channel ?? Channels.Sms, AgentId = request.AgentId, ListId = request.ListId ?? string.Empty,
            SenderNumbers = string.Join(',', senders.Distinct(StringComparer.Ordinal)), Message = request.Message,
            WindowStartMinutes = start, WindowEndMinutes = end, DailyCap = request.DailyCap ?? 0, PacingPerSenderPerMinute = request.PacingPerSenderPerMinute ?? 0,
            MaxAttempts = request.Retry?.MaxAttempts ?? 1, RetryBackoffMinutes = request.Retry?.BackoffMinutes ?? 60,
            RetryOn = string.Join(',', retryOn.Distinct(StringComparer.Ordinal)), OutcomeTimeoutSeconds = request.OutcomeTimeoutSeconds ?? 3600,
            EndsAt = request.EndsAt, VoicemailMessage = request.Voicemail?.Message, VoicemailAction = request.Voicemail?.Action ?? VoicemailActions.Leave,
        };
    }

    private static int Minutes(string? clock, int fallback, string field, Validation validation)
    {
        if (clock is null)
        {
            return fallback;
        }

        if (TimeOnly.TryParseExact(clock, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time.Hour * 60 + time.Minute;
        }

        validation.Add(field, "must be a time as HH:mm");
        return fallback;
    }
}
