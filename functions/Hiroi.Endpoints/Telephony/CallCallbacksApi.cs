using Hiroi.Shared.Events;
using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Telephony.Inbound;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Telephony;

/// <summary>
/// <c>/api/calls/callbacks?token=...</c>: Call Automation's mid-call events (CloudEvents). Both proofs are required before
/// anything is read: ACS's RS256 JWT (issuer, audience = our ACS resource, keys from its OpenID configuration) and our
/// callback token binding the URI to one org and call until it expires.
/// </summary>
public static class CallCallbacksApi
{
    public const string Route = "/api/calls/callbacks";

    public static IEndpointRouteBuilder MapCallCallbacks(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, ReceiveAsync).WithName("ReceiveCallCallback").AllowAnonymous().WithTags("Calls")
            .WithMetadata(Protection.WebhookRateLimitMetadata.Instance);
        return app;
    }

    public static async Task<IResult> ReceiveAsync(
        HttpRequest request, AcsCallbackJwtValidator jwt, CallbackTokenService tokens, IOptions<AcsCallbackAuthOptions> authOptions,
        EventProcessor processor, CallEventApplier applier, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(authOptions);
        ArgumentNullException.ThrowIfNull(loggers);
        if (request.ContentLength > EventGridApi.MaxDeliveryBytes)
        {
            return TypedResults.Problem(statusCode: 413, title: "Request too large");
        }

        if (string.IsNullOrWhiteSpace(authOptions.Value.Audience))
        {
            loggers.CreateLogger(typeof(CallCallbacksApi)).LogError("Hiroi__Acs__CallbackAuth__Audience is not set; refusing call callbacks");
            return EventGridApi.Unauthenticated();
        }

        if (!await jwt.ValidateAsync(request.Headers.Authorization, cancellationToken)
            || await tokens.ValidateAsync(request.Query["token"], cancellationToken) is not { } claims
            || !OrgId.TryParse(claims.OrgId, out var org))
        {
            return EventGridApi.Unauthenticated();
        }

        var body = await RequestBodies.ReadLimitedAsync(request, EventGridApi.MaxDeliveryBytes, cancellationToken);
        if (body is null)
        {
            return TypedResults.Problem(statusCode: 413, title: "Request too large");
        }

        var delivery = EventDeliveryParser.Parse(body.Value);
        if (delivery is null)
        {
            return TypedResults.Problem(statusCode: 400, title: "Malformed callback", detail: "The body must be CloudEvents.");
        }

        var results = new List<EventResult>();
        foreach (var inbound in delivery.Events)
        {
            results.Add(await processor.RunOnceAsync(inbound, (e, ct) => applier.ApplyAsync(org, claims.CallId, e, ct), cancellationToken));
        }

        if (results.Contains(EventResult.Transient))
        {
            return TypedResults.Problem(statusCode: 503, title: "Try again");
        }

        return results.Contains(EventResult.Malformed) || delivery.Rejected.Count > 0
            ? TypedResults.Problem(statusCode: 400, title: "Malformed events")
            : TypedResults.Ok();
    }
}
