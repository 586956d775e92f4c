using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;

namespace Hiroi.Shared.Events;

/// <summary>The events of one delivery, and the ones that could not be read (by position in the batch).</summary>
public sealed record ParsedDelivery(IReadOnlyList<InboundEvent> Events, IReadOnlyList<(int Index, string Reason)> Rejected);

/// <summary>
/// Reads a delivery in either schema, single or batched. Each element is parsed on its own with the Azure SDK's parsers,
/// so one bad event does not lose the good ones.
/// </summary>
public static class EventDeliveryParser
{
    public static ParsedDelivery? Parse(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            var elements = root.ValueKind switch
            {
                JsonValueKind.Array => root.EnumerateArray().ToList(),
                JsonValueKind.Object => [root],
                _ => null,
            };
            if (elements is null || elements.Count == 0)
            {
                return null;
            }

            var events = new List<InboundEvent>(elements.Count);
            var rejected = new List<(int, string)>();
            for (var i = 0; i < elements.Count; i++)
            {
                var parsed = ParseOne(elements[i], out var reason);
                if (parsed is null)
                {
                    rejected.Add((i, reason));
                }
                else
                {
                    events.Add(parsed);
                }
            }

            return new ParsedDelivery(events, rejected);
        }
    }

    private static InboundEvent? ParseOne(JsonElement element, out string reason)
    {
        reason = string.Empty;
        if (element.ValueKind != JsonValueKind.Object)
        {
            reason = "not an object";
            return null;
        }

        try
        {
            // Transcoding throws on invalid UTF-8 inside a string: that element is rejected, the others stand.
            var json = BinaryData.FromString(element.GetRawText());
            if (element.TryGetProperty("specversion", out _))
            {
                var cloudEvent = CloudEvent.Parse(json);
                return cloudEvent is null || string.IsNullOrEmpty(cloudEvent.Id) ? Reject("CloudEvent without id", out reason) : InboundEvent.From(cloudEvent);
            }

            if (element.TryGetProperty("eventType", out _))
            {
                var gridEvent = EventGridEvent.Parse(json);
                return string.IsNullOrEmpty(gridEvent.Id) ? Reject("event without id", out reason) : InboundEvent.From(gridEvent);
            }
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            reason = "not a valid event of its schema";
            return null;
        }

        return Reject("neither Event Grid nor CloudEvents schema", out reason);
    }

    private static InboundEvent? Reject(string why, out string reason)
    {
        reason = why;
        return null;
    }
}
