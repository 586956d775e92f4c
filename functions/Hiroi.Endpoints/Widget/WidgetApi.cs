using Hiroi.Endpoints.Hosting;
using Hiroi.Endpoints.Http;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared;
using Hiroi.Shared.Text;
using Hiroi.Shared.Widget;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Hiroi.Endpoints.Widget;

public sealed record OpenSessionBody(string? VisitorId, string? Token, string? Challenge, string? Solution, bool? Webdriver);

public sealed record SessionOpened(string SessionToken, DateTimeOffset EndsAt, int HeartbeatSeconds, int IdleSeconds);

public sealed record HeartbeatAnswer(DateTimeOffset IdleEndsAt);

public sealed record MessageBody(string? Text);

public sealed record MessageAnswer(string Reply);

/// <summary>
/// The website widget's public API (<c>/widget/v1</c>), anonymous: a request proves itself with the key's exact origin,
/// a signed token, and then its session token (header <c>x-widget-session</c>, never a cookie). CORS answers only the
/// key's origins. The anonymous rate limit (60 a minute per IP by default) applies to all of it.
/// </summary>
public static class WidgetApi
{
    public const string SessionHeader = "x-widget-session";
    public const string DemoContentSecurityPolicy = "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapWidget(this IEndpointRouteBuilder app)
    {
        var widget = app.MapGroup("/widget/v1").WithTags("Widget").AllowAnonymous().ExcludeFromDescription();
        widget.MapGet("/embed.js", (HttpContext context) => Serve(context, WidgetEmbed.Script, cacheSeconds: 3600)).WithName("WidgetEmbedScript");
        widget.MapGet("/demo", DemoPage).WithName("WidgetDemoPage");
        widget.MapGet("/demo.js", (HttpContext context, IOptions<WidgetOptions> options) =>
            options.Value.Demo ? Serve(context, WidgetEmbed.DemoScript, cacheSeconds: 0) : Results.NotFound()).WithName("WidgetDemoScript");
        var keyed = widget.MapGroup("/keys/{widgetKeyId}");
        keyed.MapMethods("/{action}", [HttpMethods.Options], PreflightAsync).WithName("WidgetPreflight");
        keyed.MapPost("/challenge", ChallengeAsync).WithName("WidgetChallenge");
        keyed.MapPost("/sessions", OpenAsync).WithName("OpenWidgetSession");
        keyed.MapPost("/heartbeat", HeartbeatAsync).WithName("WidgetHeartbeat");
        keyed.MapPost("/messages", MessageAsync).WithName("SendWidgetMessage");
        keyed.MapPost("/end", EndAsync).WithName("EndWidgetSession");
        return app;
    }

    private static IResult Serve(HttpContext context, StaticAsset asset, int cacheSeconds)
    {
        context.Response.Headers["Cross-Origin-Resource-Policy"] = "cross-origin"; // other sites load the script
        return asset.Serve(context, cacheSeconds);
    }

    private static IResult DemoPage(HttpContext context, IOptions<WidgetOptions> options)
    {
        if (!options.Value.Demo)
        {
            return Results.NotFound();
        }

        context.Response.Headers.ContentSecurityPolicy = DemoContentSecurityPolicy;
        return Serve(context, WidgetEmbed.DemoPage, cacheSeconds: 0);
    }

    /// <summary>Preflight: allowed only for an origin the (usable) key lists; anything else gets no CORS headers.</summary>
    public static async Task<IResult> PreflightAsync(string widgetKeyId, HttpContext context, WidgetSessions sessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var origin = context.Request.Headers.Origin.ToString();
        if (await sessions.KeyAsync(widgetKeyId, usable: true, cancellationToken) is not { } found || !WidgetOrigins.Allows(found.Key.OriginList, origin))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        Cors(context, origin);
        context.Response.Headers.AccessControlAllowMethods = "POST";
        context.Response.Headers.AccessControlAllowHeaders = "content-type, " + SessionHeader;
        context.Response.Headers.AccessControlMaxAge = "600";
        return Results.NoContent();
    }

    public static async Task<IResult> ChallengeAsync(string widgetKeyId, HttpContext context, WidgetSessions sessions, IWidgetBotCheck botCheck,
        IOptions<WidgetOptions> options, CancellationToken cancellationToken)
    {
        if (await OriginCheckedAsync(widgetKeyId, context, sessions, cancellationToken) is { Refusal: { } refusal })
        {
            return Problem(refusal);
        }

        var challenge = options.Value.BotCheck ? await botCheck.ChallengeAsync(widgetKeyId, cancellationToken) : null;
        return Results.Ok(new { challenge = challenge?.Challenge, bits = challenge?.Bits ?? 0 });
    }

    public static async Task<IResult> OpenAsync(string widgetKeyId, OpenSessionBody body, HttpContext context, WidgetSessions sessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var (found, refusal) = await OriginCheckedAsync(widgetKeyId, context, sessions, cancellationToken);
        if (found is not { } key)
        {
            return Problem(refusal!);
        }

        var (opened, refused) = await sessions.OpenAsync(key.Org, key.Key, new SessionRequest(
            context.Request.Headers.Origin, body.VisitorId, body.Token, new BotEvidence(body.Challenge, body.Solution, body.Webdriver)), cancellationToken);
        return opened is null
            ? Problem(refused!)
            : Results.Created((string?)null, new SessionOpened(opened.Token, opened.EndsAt, opened.HeartbeatSeconds, opened.IdleSeconds));
    }

    public static async Task<IResult> HeartbeatAsync(string widgetKeyId, HttpContext context, WidgetSessions sessions, CancellationToken cancellationToken)
    {
        var (held, refusal) = await HeldAsync(widgetKeyId, context, sessions, cancellationToken);
        return held is null ? Problem(refusal!) : Results.Ok(new HeartbeatAnswer(await sessions.HeartbeatAsync(held, cancellationToken)));
    }

    public static async Task<IResult> MessageAsync(string widgetKeyId, MessageBody body, HttpContext context, WidgetSessions sessions,
        IOptions<WidgetOptions> options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var (held, refusal) = await HeldAsync(widgetKeyId, context, sessions, cancellationToken);
        if (held is null)
        {
            return Problem(refusal!);
        }

        var text = body.Text?.Trim();
        if (text is null || text.Length == 0 || text.Length > options.Value.MaxMessageLength || !DisplayText.IsClean(text.ReplaceLineEndings(" ")))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = [$"is required: 1 to {options.Value.MaxMessageLength} characters of text"] });
        }

        var (reply, refused) = await sessions.MessageAsync(held, text, cancellationToken);
        return reply is null ? Problem(refused!) : Results.Ok(new MessageAnswer(reply));
    }

    public static async Task<IResult> EndAsync(string widgetKeyId, HttpContext context, WidgetSessions sessions, CancellationToken cancellationToken)
    {
        var (held, refusal) = await HeldAsync(widgetKeyId, context, sessions, cancellationToken);
        if (held is null)
        {
            return Problem(refusal!);
        }

        await sessions.EndAsync(held.Org, held.Session, "the page ended the session", cancellationToken);
        return Results.NoContent();
    }

    /// <summary>The usable key whose origins include the request's <c>Origin</c> (CORS headers set for it), or the refusal.</summary>
    /// <remarks>A request for an existing session may name a key revoked since, so that the session can answer 410 with why it ended.</remarks>
    private static async Task<((Shared.Tenancy.OrgId Org, WidgetKeyEntity Key)? Found, WidgetRefusal? Refusal)> OriginCheckedAsync(
        string widgetKeyId, HttpContext context, WidgetSessions sessions, CancellationToken cancellationToken, bool forSession = false)
    {
        if (await sessions.KeyAsync(widgetKeyId, usable: !forSession, cancellationToken) is not { } found)
        {
            return (null, new WidgetRefusal(404, "Unknown widget key", "No usable widget key has this id."));
        }

        var origin = context.Request.Headers.Origin.ToString();
        if (!WidgetOrigins.Allows(found.Key.OriginList, origin))
        {
            // A page elsewhere trying the key is counted for the key's usage; a request with no origin is no page at all.
            return (null, origin.Length == 0 ? WidgetSessions.OriginRefusal : await sessions.RefuseOriginAsync(found.Org, found.Key, cancellationToken));
        }

        Cors(context, origin);
        return (found, null);
    }

    private static async Task<(HeldSession? Held, WidgetRefusal? Refusal)> HeldAsync(string widgetKeyId, HttpContext context, WidgetSessions sessions,
        CancellationToken cancellationToken)
    {
        var (found, refusal) = await OriginCheckedAsync(widgetKeyId, context, sessions, cancellationToken, forSession: true);
        return found is not { } key ? (null, refusal) : await sessions.HoldAsync(key.Org, key.Key, context.Request.Headers[SessionHeader], cancellationToken);
    }

    private static void Cors(HttpContext context, string origin)
    {
        context.Response.Headers.AccessControlAllowOrigin = origin;
        context.Response.Headers.Append(HeaderNames.Vary, "Origin");
    }

    private static ProblemHttpResult Problem(WidgetRefusal refusal) => TypedResults.Problem(statusCode: refusal.Status, title: refusal.Title, detail: refusal.Detail);
}
