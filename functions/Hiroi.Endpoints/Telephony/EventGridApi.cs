using System.Text.Json;
using Hiroi.Shared.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Telephony;

/// <summary>
/// <c>/api/eventgrid/acs</c>: the Event Grid webhook for ACS events, in Event Grid or CloudEvents 1.0 schema, single or
/// batched. Status codes follow Event Grid's retry rules: 200 handled or duplicate, 400 malformed (dead-lettered), 401
/// unauthenticated, 413 over 1 MB, 503 only for transient faults (retried).
/// </summary>
public static class EventGridApi
{
    public const string Route = "/api/eventgrid/acs";
    public const int MaxDeliveryBytes = 1024 * 1024;
    private const string ValidationEventType = "Microsoft.EventGrid.SubscriptionValidationEvent";

    public static IEndpointRouteBuilder MapEventGrid(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, ReceiveAsync).WithName("ReceiveAcsEvents").AllowAnonymous().WithTags("Event Grid")
            .WithMetadata(Protection.WebhookRateLimitMetadata.Instance);
        app.MapMethods(Route, [HttpMethods.Options], HandshakeAsync).WithName("AnswerEventGridHandshake").AllowAnonymous().WithTags("Event Grid")
            .WithMetadata(Protection.WebhookRateLimitMetadata.Instance);
        return app;
    }

    /// <summary>CloudEvents abuse protection: echo the requesting origin back as allowed, once the caller is authenticated.</summary>
    public static async Task<IResult> HandshakeAsync(HttpRequest request, WebhookAuthenticator authenticator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!await authenticator.IsAuthenticAsync(request, cancellationToken))
        {
            return Unauthenticated();
        }

        string? origin = request.Headers["WebHook-Request-Origin"];
        if (string.IsNullOrWhiteSpace(origin) || origin.Length > 255)
        {
            return TypedResults.Problem(statusCode: 400, title: "Malformed request", detail: "WebHook-Request-Origin is required.");
        }

        request.HttpContext.Response.Headers["WebHook-Allowed-Origin"] = origin;
        request.HttpContext.Response.Headers.Allow = "POST, OPTIONS";
        return TypedResults.Ok();
    }

    public static async Task<IResult> ReceiveAsync(
        HttpRequest request, WebhookAuthenticator authenticator, EventProcessor processor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxDeliveryBytes)
        {
            return TooLarge();
        }

        if (!await authenticator.IsAuthenticAsync(request, cancellationToken))
        {
            return Unauthenticated();
        }

        var body = await RequestBodies.ReadLimitedAsync(request, MaxDeliveryBytes, cancellationToken);
        if (body is null)
        {
            return TooLarge();
        }

        var delivery = EventDeliveryParser.Parse(body.Value);
        if (delivery is null)
        {
            return TypedResults.Problem(statusCode: 400, title: "Malformed delivery",
                detail: "The body must be a JSON event or array of events in Event Grid or CloudEvents 1.0 schema.");
        }

        if (delivery.Events is [{ Type: ValidationEventType } validation])
        {
            return Validate(request, validation);
        }

        var counts = new Dictionary<EventResult, int>();
        foreach (var inbound in delivery.Events)
        {
            var result = await processor.ProcessAsync(inbound, cancellationToken);
            counts[result] = counts.GetValueOrDefault(result) + 1;
            if (result == EventResult.Transient)
            {
                // The delivery comes back whole; trying the rest against a failing dependency would only add its timeout per event.
                break;
            }
        }

        if (counts.ContainsKey(EventResult.Transient))
        {
            request.HttpContext.Response.Headers.RetryAfter = "10";
            return TypedResults.Problem(statusCode: 503, title: "Try again", detail: "Some events met a transient fault; the delivery can be retried safely.");
        }

        var malformed = counts.GetValueOrDefault(EventResult.Malformed) + delivery.Rejected.Count;
        if (malformed > 0)
        {
            // The good events are done (and deduplicated if this batch comes back); the bad ones go to the dead letter.
            return TypedResults.Problem(statusCode: 400, title: "Malformed events",
                detail: $"{malformed} of {delivery.Events.Count + delivery.Rejected.Count} events could not be handled; the others were.",
                extensions: new Dictionary<string, object?> { ["rejectedIndexes"] = delivery.Rejected.Select(r => r.Index).ToArray() });
        }

        return TypedResults.Ok(new
        {
            handled = counts.GetValueOrDefault(EventResult.Handled),
            duplicates = counts.GetValueOrDefault(EventResult.Duplicate),
            ignored = counts.GetValueOrDefault(EventResult.Ignored),
        });
    }

    private static IResult Validate(HttpRequest request, InboundEvent validation)
    {
        if (!string.Equals(request.Headers["aeg-event-type"], "SubscriptionValidation", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: 400, title: "Malformed delivery", detail: "A validation event must come with aeg-event-type: SubscriptionValidation.");
        }

        try
        {
            using var data = JsonDocument.Parse(validation.Data.ToMemory());
            if (data.RootElement.ValueKind == JsonValueKind.Object
                && data.RootElement.TryGetProperty("validationCode", out var code) && code.ValueKind == JsonValueKind.String
                && code.GetString() is { Length: > 0 and <= 256 } value)
            {
                return TypedResults.Ok(new { validationResponse = value });
            }
        }
        catch (JsonException)
        {
            // Falls through to the 400 below.
        }

        return TypedResults.Problem(statusCode: 400, title: "Malformed delivery", detail: "The validation event has no validationCode.");
    }

    internal static ProblemHttpResult Unauthenticated() =>
        TypedResults.Problem(statusCode: 401, title: "Unauthorized", detail: "The delivery is not authenticated.");

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(statusCode: 413, title: "Request too large", detail: $"A delivery may be at most {MaxDeliveryBytes} bytes.");
}

public static class RequestBodies
{
    /// <summary>Reads the body into memory up to <paramref name="limit"/> bytes; null when it is longer.</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadLimitedAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
