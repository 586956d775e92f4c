using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Endpoints.Widget;
using Hiroi.Shared;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Text;
using Hiroi.Shared.Widget;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Widget;

public sealed record WidgetKeyRequest(
    string? Name, string? Environment, string? Mode, string[]? Origins, string? AgentId, long? DailyTokenCap, decimal? DailyCostCapUsd,
    int? MaxSessions, int? MaxSessionsPerVisitor, int? MessagesPerSession);

/// <summary>Strict: its one field is optional, so anything else in the body is a mistake worth a 400.</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record RotationRequest(DateTimeOffset? PreviousValidUntil);

public sealed record WidgetSecretInfo(string Kid, DateTimeOffset CreatedAt, DateTimeOffset? ValidUntil);

public sealed record WidgetKeyUsage(long Sessions, long Messages, long Tokens, decimal CostUsd, long RefusedOrigins, DateTimeOffset? LastUsedAt);

public sealed record WidgetKeyResponse(
    string Id, string Name, string Environment, string Mode, IReadOnlyList<string> Origins, string AgentId, long DailyTokenCap, decimal DailyCostCapUsd,
    int MaxSessions, int MaxSessionsPerVisitor, int MessagesPerSession, DateTimeOffset CreatedAt, DateTimeOffset? ValidUntil, string? ReplacedBy,
    DateTimeOffset? RevokedAt, IReadOnlyList<WidgetSecretInfo> Secrets, string Embed, NewSigningSecret? SigningSecret = null, WidgetKeyUsage? Usage = null);

/// <summary>Website chat widget keys (admins create, rotate and revoke them; members read them), each bound to an agent and exact origins.</summary>
public static class WidgetKeysApi
{
    public static RouteGroupBuilder MapWidgetKeys(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var keys = api.MapGroup("/widget-keys").WithTags("Widget");
        keys.MapGet("/", ListAsync).WithName("ListWidgetKeys");
        keys.MapPost("/", CreateAsync).WithName("CreateWidgetKey").RequireAuthorization(Policies.Admin);
        keys.MapGet("/{widgetKeyId}", GetAsync).WithName("GetWidgetKey");
        keys.MapPost("/{widgetKeyId}/rotate", RotateAsync).WithName("RotateWidgetKey").RequireAuthorization(Policies.Admin);
        keys.MapPost("/{widgetKeyId}/secrets", RotateSecretAsync).WithName("RotateWidgetSecret").RequireAuthorization(Policies.Admin);
        keys.MapDelete("/{widgetKeyId}", RevokeAsync).WithName("RevokeWidgetKey").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<WidgetKeyResponse[]>> ListAsync(ClaimsPrincipal user, WidgetKeyRepository keys, WidgetEmbed embed, CancellationToken cancellationToken) =>
        TypedResults.Ok(await keys.ListAsync(user.ToCaller().OrgId, cancellationToken).Select(k => Response(k, embed)).ToArrayAsync(cancellationToken));

    public static async Task<Results<Ok<WidgetKeyResponse>, ProblemHttpResult>> GetAsync(
        string widgetKeyId, ClaimsPrincipal user, WidgetKeyRepository keys, WidgetEmbed embed, UsageMeter meter, TimeProvider time, CancellationToken cancellationToken)
    {
        var org = user.ToCaller().OrgId;
        if (await keys.FindAsync(org, widgetKeyId, cancellationToken) is not { } key)
        {
            return OrgProblems.NotFound("widget key");
        }

        var today = time.GetUtcNow();
        var days = await meter.WidgetKeyDaysAsync(org, key.RowKey, UsageRows.Day(today.AddDays(-29)), UsageRows.Day(today), cancellationToken);
        var usage = new WidgetKeyUsage(days.Sum(d => d.Sessions), days.Sum(d => d.Messages), days.Sum(d => d.Tokens), MicroUsd.ToUsd(days.Sum(d => d.CostMicroUsd)),
            days.Sum(d => d.RefusedOrigins), days.Max(d => d.LastUsedAt));
        return TypedResults.Ok(Response(key, embed) with { Usage = usage });
    }

    public static async Task<Results<Created<WidgetKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        WidgetKeyRequest request, ClaimsPrincipal user, WidgetKeyService service, AgentRepository agents, WidgetEmbed embed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = user.ToCaller();
        var validation = new Validation();
        var key = Read(request, validation);
        if (request.AgentId is null || await agents.FindAsync(caller.OrgId, request.AgentId, cancellationToken) is null)
        {
            validation.Add("agentId", "must be an agent of this org");
        }

        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var creation = await service.CreateAsync(caller, key, cancellationToken);
        return creation.Key is { } created
            ? TypedResults.Created($"/api/widget-keys/{created.RowKey}", Response(created, embed) with { SigningSecret = creation.Secret })
            : TooMany;
    }

    /// <summary>Body <c>{"previousValidUntil": "…"}</c> (default a day; at most 30 days ahead): a new key, the old one valid until then.</summary>
    public static async Task<Results<Created<WidgetKeyResponse>, ValidationProblem, ProblemHttpResult>> RotateAsync(
        string widgetKeyId, HttpRequest request, ClaimsPrincipal user, WidgetKeyService service, WidgetKeyRepository keys, WidgetEmbed embed, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = user.ToCaller();
        if (await keys.FindAsync(caller.OrgId, widgetKeyId, cancellationToken) is null)
        {
            return OrgProblems.NotFound("widget key");
        }

        if (await UntilAsync(request, time, cancellationToken) is not { } until)
        {
            return BadUntil;
        }

        return await service.RotateAsync(caller, widgetKeyId, until, cancellationToken) switch
        {
            null => OrgProblems.NotFound("usable widget key"),
            { Key: { } rotated } creation => TypedResults.Created($"/api/widget-keys/{rotated.RowKey}", Response(rotated, embed) with { SigningSecret = creation.Secret }),
            _ => TooMany,
        };
    }

    /// <summary>A new signing secret (signed mode); the previous ones stay valid until <c>previousValidUntil</c>.</summary>
    public static async Task<Results<Ok<NewSigningSecret>, ValidationProblem, ProblemHttpResult>> RotateSecretAsync(
        string widgetKeyId, HttpRequest request, ClaimsPrincipal user, WidgetKeyService service, WidgetKeyRepository keys, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = user.ToCaller();
        if (await keys.FindAsync(caller.OrgId, widgetKeyId, cancellationToken) is null)
        {
            return OrgProblems.NotFound("widget key");
        }

        if (await UntilAsync(request, time, cancellationToken) is not { } until)
        {
            return BadUntil;
        }

        return await service.RotateSecretAsync(caller, widgetKeyId, until, cancellationToken) is { } secret
            ? TypedResults.Ok(secret)
            : OrgProblems.NotFound("usable signed-mode widget key");
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string widgetKeyId, ClaimsPrincipal user, WidgetKeyService service,
        CancellationToken cancellationToken) =>
        await service.RevokeAsync(user.ToCaller(), widgetKeyId, cancellationToken) ? TypedResults.NoContent() : OrgProblems.NotFound("widget key");

    private static readonly ProblemHttpResult TooMany = TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict, title: "Too many widget keys",
        detail: $"An org has at most {WidgetKeyRepository.MaxUsableKeysPerOrg} usable widget keys: revoke one first.");

    private static readonly ValidationProblem BadUntil =
        TypedResults.ValidationProblem(new Dictionary<string, string[]>
        {
            ["previousValidUntil"] = ["must be a time in the next 30 days; the body is {\"previousValidUntil\": …} or empty"],
        });

    /// <summary>
    /// The body is read after the key is found, so another org's key id is a 404 whatever the body; it is optional (empty
    /// means a day), and strict: anything but <c>previousValidUntil</c> is a mistake.
    /// </summary>
    private static async Task<DateTimeOffset?> UntilAsync(HttpRequest request, TimeProvider time, CancellationToken cancellationToken)
    {
        RotationRequest? body = null;
        if (request.ContentLength is not 0 && request.HasJsonContentType())
        {
            try
            {
                body = await request.ReadFromJsonAsync<RotationRequest>(cancellationToken);
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
        else if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            return null; // a body that is not JSON
        }

        var now = time.GetUtcNow();
        var until = body?.PreviousValidUntil ?? now.AddDays(1);
        return until >= now && until <= now + WidgetKeyService.MaxOverlap ? until : null;
    }

    private static WidgetKeyEntity Read(WidgetKeyRequest request, Validation validation)
    {
        validation.Require(DisplayText.TryClean(request.Name, 200, out var name), "name", "is required, at most 200 printable characters");
        validation.Require(request.Environment is not null && WidgetEnvironments.All.Contains(request.Environment), "environment", "must be dev, staging or prod");
        validation.Require(request.Mode is WidgetModes.Origin or WidgetModes.SignedTokens, "mode", "must be origin or signed");
        var origins = new List<string>();
        foreach (var raw in request.Origins ?? [])
        {
            if (WidgetOrigins.TryNormalize(raw, out var origin, out var error))
            {
                origins.Add(origin);
            }
            else
            {
                validation.Add("origins", $"'{(raw is { Length: > 60 } ? raw[..60] + "…" : raw)}' {error}");
            }
        }

        validation.Require(origins.Count is > 0 and <= 20, "origins", "needs 1 to 20 exact origins (browsers send one with every widget request)");
        validation.Require(request.DailyTokenCap is null or (>= 0 and <= 1_000_000_000), "dailyTokenCap", "must be 0 (none of its own) to 1000000000");
        var costCap = 0L;
        validation.Require(request.DailyCostCapUsd is null or (>= 0 and <= 1_000_000) && MicroUsd.TryFromUsd(request.DailyCostCapUsd ?? 0, out costCap),
            "dailyCostCapUsd", "must be 0 (none of its own) to 1000000");
        validation.Require(request.MaxSessions is null or (>= 1 and <= 100_000), "maxSessions", "must be 1 to 100000");
        validation.Require(request.MaxSessionsPerVisitor is null or (>= 1 and <= 100), "maxSessionsPerVisitor", "must be 1 to 100");
        validation.Require(request.MessagesPerSession is null or (>= 1 and <= 1000), "messagesPerSession", "must be 1 to 1000");
        var key = new WidgetKeyEntity
        {
            Name = name, Environment = request.Environment ?? "prod", Mode = request.Mode ?? WidgetModes.Origin,
            Origins = string.Join(',', origins.Distinct(StringComparer.Ordinal)),
            AgentId = request.AgentId ?? string.Empty, DailyTokenCap = request.DailyTokenCap ?? 0, DailyCostCapMicroUsd = costCap,
        };
        (key.MaxSessions, key.MaxSessionsPerVisitor, key.MessagesPerSession) =
            (request.MaxSessions ?? key.MaxSessions, request.MaxSessionsPerVisitor ?? key.MaxSessionsPerVisitor, request.MessagesPerSession ?? key.MessagesPerSession);
        return key;
    }

    private static WidgetKeyResponse Response(WidgetKeyEntity key, WidgetEmbed embed) => new(
        key.RowKey, key.Name, key.Environment, key.Mode, key.OriginList, key.AgentId, key.DailyTokenCap, MicroUsd.ToUsd(key.DailyCostCapMicroUsd),
        key.MaxSessions, key.MaxSessionsPerVisitor, key.MessagesPerSession, key.CreatedAt, key.ValidUntil, key.ReplacedBy, key.RevokedAt,
        [.. key.Secrets().Select(s => new WidgetSecretInfo(s.Kid, s.CreatedAt, s.ValidUntil))], embed.Snippet(key.RowKey));
}
