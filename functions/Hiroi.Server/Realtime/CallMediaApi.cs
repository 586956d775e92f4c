using Hiroi.Endpoints.Protection;
using Hiroi.Shared.Security;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice.Realtime;

namespace Hiroi.Server.Realtime;

/// <summary>
/// A route only the self-host serves, with the reason. The Functions app's adapters are generated from the route table
/// without it (<see cref="Cli.HttpRoute.Of"/>), and the host-parity test names each such route as its one exception.
/// </summary>
public sealed record SelfHostOnly(string Reason);

/// <summary>
/// <c>GET /api/calls/media?token=…</c>: the WebSocket ACS opens to stream a realtime agent's call (bidirectional media
/// streaming). The token (HMAC, bound to org, call, expiry and this purpose: a callback token is refused) and the call
/// are checked before the upgrade, so a refused connection never has a frame read; then <see cref="RealtimeCalls"/>
/// bridges the socket to the agent's realtime model until either side ends. Self-host only: Azure Functions cannot
/// serve a WebSocket, so realtime calls are streamed to the self-host on Container Apps whichever host answered them.
/// </summary>
public static class CallMediaApi
{
    public static IEndpointRouteBuilder MapCallMedia(this IEndpointRouteBuilder app)
    {
        app.MapGet(MediaStreamUris.Route, StreamAsync).WithName("StreamCallMedia").AllowAnonymous().WithTags("Calls").ExcludeFromDescription()
            .WithMetadata(new SelfHostOnly("Azure Functions cannot serve a WebSocket"), WebhookRateLimitMetadata.Instance);
        return app;
    }

    public static async Task<IResult> StreamAsync(
        HttpContext context, CallbackTokenService tokens, RealtimeCalls calls, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(lifetime);
        if (await tokens.ValidateAsync(context.Request.Query["token"], CallTokenPurpose.MediaStream, cancellationToken) is not { } claims
            || !OrgId.TryParse(claims.OrgId, out var org))
        {
            return TypedResults.Problem(statusCode: 401, title: "Unauthorized", detail: "A valid media stream token is required.");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.Problem(statusCode: 400, title: "Bad request", detail: "This route is a WebSocket: send an upgrade request.");
        }

        switch (await calls.RefusalAsync(org, claims.CallId, cancellationToken))
        {
            case MediaStreamRefusal.NotRealtime:
                return TypedResults.Problem(statusCode: 404, title: "Not found", detail: "No realtime call for this token.");
            case MediaStreamRefusal.Ended:
                return TypedResults.Problem(statusCode: 410, title: "Gone", detail: "The call is over.");
            case MediaStreamRefusal.AlreadyStreaming:
                return TypedResults.Problem(statusCode: 409, title: "Conflict", detail: "The call's media is already streaming.");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var connectionId = context.Request.Headers["x-ms-call-connection-id"].FirstOrDefault() is { Length: > 0 and <= 128 } header ? header : null;
        await calls.RunAsync(org, claims.CallId, socket, connectionId, ending.Token);
        return TypedResults.Empty;
    }
}
