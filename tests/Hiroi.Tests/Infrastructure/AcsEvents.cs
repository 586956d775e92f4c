using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// Builds ACS events as Event Grid and CloudEvents deliveries, following the documented schemas
/// (azure-docs: communication-services-telephony-sms-events, communication-services-voice-video-events).
/// </summary>
public static class AcsEvents
{
    public const string Topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Communication/CommunicationServices/hiroi-test";

    public static JsonObject SmsReceived(string from, string to, string message, string? id = null, string receivedAt = "2026-11-23T12:00:00Z")
    {
        var messageId = id ?? "Incoming_" + Guid.NewGuid().ToString("N");
        return GridEvent(messageId, "Microsoft.Communication.SMSReceived", "/phonenumber/" + to.TrimStart('+'), new JsonObject
        {
            ["messageId"] = messageId,
            ["from"] = from,
            ["to"] = to,
            ["message"] = message,
            ["receivedTimestamp"] = receivedAt,
            ["segmentCount"] = 1,
        });
    }

    public static JsonObject IncomingCall(string from, string to, string serverCallId, string? id = null) =>
        GridEvent(id ?? Guid.NewGuid().ToString(), "Microsoft.Communication.IncomingCall", $"/caller/4:{from}/recipient/4:{to}", new JsonObject
        {
            ["to"] = new JsonObject { ["kind"] = "phoneNumber", ["rawId"] = "4:" + to, ["phoneNumber"] = new JsonObject { ["value"] = to } },
            ["from"] = new JsonObject { ["kind"] = "phoneNumber", ["rawId"] = "4:" + from, ["phoneNumber"] = new JsonObject { ["value"] = from } },
            ["serverCallId"] = serverCallId,
            ["callerDisplayName"] = "",
            ["incomingCallContext"] = "context-" + serverCallId,
            ["correlationId"] = Guid.NewGuid().ToString(),
        });

    /// <summary>A one-chunk recording of the call <paramref name="serverCallId"/>, ready at ACS under <paramref name="content"/>.</summary>
    public static JsonObject RecordingFileStatusUpdated(string serverCallId, string documentId, Uri content, Uri delete) =>
        GridEvent(Guid.NewGuid().ToString(), "Microsoft.Communication.RecordingFileStatusUpdated",
            $"/recording/call/c1/serverCallId/{serverCallId}/recordingId/r1", new JsonObject
            {
                ["recordingStorageInfo"] = new JsonObject
                {
                    ["recordingChunks"] = new JsonArray(new JsonObject
                    {
                        ["documentId"] = documentId, ["index"] = 0, ["endReason"] = "SessionEnded",
                        ["contentLocation"] = content.ToString(), ["metadataLocation"] = content + "meta", ["deleteLocation"] = delete.ToString(),
                    }),
                },
                ["recordingStartTime"] = "2026-11-23T12:00:00Z", ["recordingDurationMs"] = 6620, ["sessionEndReason"] = "CallEnded",
            });

    public static JsonObject DeliveryReport(string ourNumber, string to, string messageId, string status, string receivedAt = "2026-11-23T12:00:05Z", string? eventId = null) =>
        GridEvent(eventId ?? Guid.NewGuid().ToString(), "Microsoft.Communication.SMSDeliveryReportReceived", "/phonenumber/" + ourNumber.TrimStart('+'), new JsonObject
        {
            ["messageId"] = messageId,
            ["from"] = ourNumber,
            ["to"] = to,
            ["deliveryStatus"] = status,
            ["deliveryStatusDetails"] = "No error.",
            ["receivedTimestamp"] = receivedAt,
            ["deliveryAttempts"] = new JsonArray(new JsonObject { ["timestamp"] = receivedAt, ["segmentsSucceeded"] = 1, ["segmentsFailed"] = 0 }),
            ["tag"] = "t1",
        });

    public static JsonObject GridEvent(string id, string type, string subject, JsonNode data) => new()
    {
        ["id"] = id,
        ["topic"] = Topic,
        ["subject"] = subject,
        ["data"] = data,
        ["eventType"] = type,
        ["dataVersion"] = "1.0",
        ["metadataVersion"] = "1",
        ["eventTime"] = "2026-11-23T12:00:01Z",
    };

    /// <summary>The same event in CloudEvents 1.0 schema.</summary>
    public static JsonObject ToCloudEvent(JsonObject gridEvent)
    {
        ArgumentNullException.ThrowIfNull(gridEvent);
        return new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = gridEvent["id"]!.GetValue<string>(),
            ["source"] = Topic,
            ["subject"] = gridEvent["subject"]!.GetValue<string>(),
            ["type"] = gridEvent["eventType"]!.GetValue<string>(),
            ["time"] = gridEvent["eventTime"]!.GetValue<string>(),
            ["datacontenttype"] = "application/json",
            ["data"] = gridEvent["data"]!.DeepClone(),
        };
    }

    public static string Batch(params JsonNode[] events) => new JsonArray(events.Select(e => e.DeepClone()).ToArray()).ToJsonString();

    public static string ValidationEvent(string code) => Batch(GridEvent(Guid.NewGuid().ToString(), "Microsoft.EventGrid.SubscriptionValidationEvent", "",
        new JsonObject { ["validationCode"] = code, ["validationUrl"] = "https://example.invalid/validate?id=" + code }));

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;
}
