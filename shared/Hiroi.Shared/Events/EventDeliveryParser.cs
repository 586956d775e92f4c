using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Hiroi.Shared;

namespace Hiroi.Shared.Events;

/// <summary>The events of one delivery, and the ones that could not be read (by position in the batch).</summary>
public sealed record ParsedDelivery(IReadOnlyList<InboundEvent> Events, IReadOnlyList<(int Index, string Reason)> Rejected);

/// <summary>
/// Reads a delivery in either schema, single or batched. Each element is parsed on its own with the Azure SDK's parsers,
/// so one bad event does not lose the good ones. Never throws: a body it cannot read is null, an element it cannot read is
/// listed in <see cref="ParsedDelivery.Rejected"/>.
/// </summary>
public static class EventDeliveryParser
{
    public static ParsedDelivery? Parse(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            // A repeated property is ambiguous (which value did the sender mean?): the delivery is refused, not resolved.
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false });
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
            return Reject("not an object", out reason);
        }

        var isCloudEvent = element.TryGetProperty("specversion", out _);
        if (isCloudEvent == element.TryGetProperty("eventType", out _))
        {
            return Reject(isCloudEvent ? "fields of both schemas" : "neither Event Grid nor CloudEvents schema", out reason);
        }

        // The SDK's parsers read the element: whatever they throw over these bytes refuses this element, and the others stand.
        return OutsideInput.OrNull(() =>
        {
            var json = BinaryData.FromString(element.GetRawText());
            return isCloudEvent
                ? CloudEvent.Parse(json) is { Id.Length: > 0 } cloudEvent ? InboundEvent.From(cloudEvent) : null
                : EventGridEvent.Parse(json) is { Id.Length: > 0 } gridEvent ? InboundEvent.From(gridEvent) : null;
        }) ?? Reject("not a valid event of its schema (an id, type and the schema's required fields)", out reason);
    }

    private static InboundEvent? Reject(string why, out string reason)
    {
        reason = why;
        return null;
    }
}
