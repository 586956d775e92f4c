using System.Globalization;
using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Agents;

public sealed record UsageLine(
    string Day, string AgentId, string Channel, long Turns, long RefusedTurns, long InputTokens, long OutputTokens, decimal CostUsd, long RefusedCalls = 0);

public sealed record UsageCaps(long DailyTokenCap, decimal DailyCostCapUsd);

public sealed record UsageResponse(string From, string To, UsageCaps Caps, UsageLine[] Lines);

/// <summary>Agent usage by UTC day, agent and channel, and the org's daily caps (admins).</summary>
public static class UsageApi
{
    public const int MaxDays = 92;

    public static RouteGroupBuilder MapUsage(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var usage = api.MapGroup("/usage").WithTags("Agents").RequireAuthorization(Policies.Admin);
        usage.MapGet("/", GetAsync).WithName("GetUsage");
        usage.MapPut("/caps", SetCapsAsync).WithName("SetUsageCaps");
        return api;
    }

    /// <summary><c>?from=2026-12-01&amp;to=2026-12-03</c> (UTC days, inclusive; default the last 7 days, at most 92).</summary>
    public static async Task<Results<Ok<UsageResponse>, ValidationProblem>> GetAsync(
        string? from, string? to, ClaimsPrincipal user, UsageMeter meter, TimeProvider time, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var validation = new Validation();
        var last = Day(to, today, "to", validation);
        var first = Day(from, last.AddDays(-6), "from", validation);
        validation.Require(first <= last && last.DayNumber - first.DayNumber < MaxDays, "from", $"must be on or before 'to', at most {MaxDays} days apart");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var org = user.ToCaller().OrgId;
        var (fromText, toText) = (Text(first), Text(last));
        var lines = await meter.ReportAsync(org, fromText, toText, cancellationToken);
        var caps = await meter.CapsAsync(org, cancellationToken);
        return TypedResults.Ok(new UsageResponse(fromText, toText, Caps(caps),
        [
            .. lines.OrderBy(l => l.Day, StringComparer.Ordinal).ThenBy(l => l.AgentId, StringComparer.Ordinal).ThenBy(l => l.Channel, StringComparer.Ordinal)
                .Select(l => new UsageLine(l.Day!, l.AgentId!, l.Channel!, l.Turns, l.RefusedTurns, l.InputTokens, l.OutputTokens, MicroUsd.ToUsd(l.CostMicroUsd), l.RefusedCalls)),
        ]));
    }

    /// <summary>Body <c>{"dailyTokenCap": 500000, "dailyCostCapUsd": 10}</c>, within the platform's maximums; audited.</summary>
    public static async Task<Results<Ok<UsageCaps>, ValidationProblem>> SetCapsAsync(
        UsageCaps caps, ClaimsPrincipal user, UsageMeter meter, AuditTrail audit, IOptions<AiOptions> options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caps);
        var ai = options.Value;
        var costCap = 0L;
        var validation = new Validation()
            .Require(caps.DailyTokenCap >= 1 && caps.DailyTokenCap <= ai.MaxOrgDailyTokenCap, "dailyTokenCap", $"must be 1 to {ai.MaxOrgDailyTokenCap}")
            .Require(caps.DailyCostCapUsd > 0 && caps.DailyCostCapUsd <= ai.MaxOrgDailyCostCapUsd && MicroUsd.TryFromUsd(caps.DailyCostCapUsd, out costCap),
                "dailyCostCapUsd", $"must be above 0, at most {ai.MaxOrgDailyCostCapUsd}");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var caller = user.ToCaller();
        var set = new OrgCaps(caps.DailyTokenCap, costCap);
        await meter.SetCapsAsync(caller.OrgId, set, cancellationToken);
        await audit.RecordAsync(caller, AuditActions.UsageCapsChanged, "org:" + caller.OrgId.Value,
            string.Create(CultureInfo.InvariantCulture, $"tokens={set.DailyTokenCap} usd={caps.DailyCostCapUsd}"), cancellationToken);
        return TypedResults.Ok(Caps(set));
    }

    private static UsageCaps Caps(OrgCaps caps) => new(caps.DailyTokenCap, MicroUsd.ToUsd(caps.DailyCostCapMicroUsd));

    private static DateOnly Day(string? text, DateOnly fallback, string field, Validation validation)
    {
        if (text is null)
        {
            return fallback;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        validation.Add(field, "must be a day as yyyy-MM-dd");
        return fallback;
    }

    private static string Text(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
