using System.Text;
using System.Text.Json.Nodes;
using Azure.Messaging.EventGrid.SystemEvents;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hiroi.Endpoints.Telephony;
using Hiroi.Shared.Events;
using Hiroi.Tests.Infrastructure;
using static Hiroi.Tests.Protection.ParserGenerators;

namespace Hiroi.Tests.Telephony;

/// <summary>
/// The webhook's event parser over arbitrary bytes and over documented events with any field replaced by any JSON value:
/// it never throws, reading a typed payload never throws, and an ambiguous body (a repeated property) is refused.
/// </summary>
[Lane(Lanes.Unit)]
public class EventParserPropertyTests
{
    private static readonly JsonObject[] Documented =
    [
        AcsEvents.SmsReceived("+12125550100", "+12125550123", "hello"),
        AcsEvents.DeliveryReport("+12125550123", "+12125550100", "msg-1", "Delivered"),
        AcsEvents.IncomingCall("+12125550100", "+12125550123", "server-call-1"),
        AcsEvents.RecordingFileStatusUpdated("server-call-1", "doc-1", new Uri("https://acs.example/content"), new Uri("https://acs.example/delete")),
    ];

    /// <summary>JSON values of every kind, including strings that are not text and numbers no field type holds.</summary>
    private static readonly Gen<JsonNode?> AnyValue = Gen.OneOf(
        Gen.Constant<JsonNode?>(null),
        Gen.Elements<JsonNode?>(JsonValue.Create(true), JsonValue.Create(0), JsonValue.Create(-1), JsonValue.Create(long.MaxValue),
            JsonValue.Create(1e308), JsonValue.Create(decimal.MaxValue), JsonValue.Create(""), JsonValue.Create("2026-13-45T99:00:00Z"),
            JsonValue.Create("+1"), JsonValue.Create("\ud800"), new JsonArray(), new JsonObject(), new JsonArray(1, "x", null)),
        TextOver("abc019+-:TZ.").Select(s => (JsonNode?)JsonValue.Create(s)));

    /// <summary>A documented event (either schema) with one field, at any depth, replaced or removed.</summary>
    private static readonly Gen<string> Damaged =
        from index in Gen.Choose(0, Documented.Length - 1)
        from cloud in ArbMap.Default.ArbFor<bool>().Generator
        from pick in Gen.Choose(0, 1000)
        from value in AnyValue
        from remove in ArbMap.Default.ArbFor<bool>().Generator
        select Damage(cloud ? AcsEvents.ToCloudEvent(Documented[index]) : (JsonObject)Documented[index].DeepClone(), pick, value, remove);

    private static string Damage(JsonObject root, int pick, JsonNode? value, bool remove)
    {
        var fields = new List<(JsonObject Parent, string Name)>();
        void Walk(JsonObject o)
        {
            foreach (var (name, child) in o.ToList())
            {
                fields.Add((o, name));
                if (child is JsonObject inner)
                {
                    Walk(inner);
                }
            }
        }

        Walk(root);
        var (parent, field) = fields[pick % fields.Count];
        if (remove)
        {
            parent.Remove(field);
        }
        else
        {
            parent[field] = value?.DeepClone();
        }

        return root.ToJsonString();
    }

    public static class Arbitraries
    {
        public static Arbitrary<byte[]> Bodies() => Arb(Gen.Frequency(
            (2, AnyBytes),
            (1, TextOver("{}[]\":,0123456789truefalsnl\\u ").Select(Encoding.UTF8.GetBytes)),
            (3, Damaged.Select(Encoding.UTF8.GetBytes)),
            (1, Damaged.Select(e => Encoding.UTF8.GetBytes("[" + e + "," + e + "]")))));
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 1500)]
    public bool Any_body_is_parsed_or_refused_and_any_payload_read_or_refused_never_thrown(byte[] body)
    {
        var delivery = EventDeliveryParser.Parse(body);
        foreach (var inbound in delivery?.Events ?? [])
        {
            _ = inbound.TryReadData<AcsSmsReceivedEventData>(out _) | inbound.TryReadData<AcsSmsDeliveryReportReceivedEventData>(out _)
                | inbound.TryReadData<AcsIncomingCallEventData>(out _) | inbound.TryReadData<AcsRecordingFileStatusUpdatedEventData>(out _);
        }

        return true;
    }

    [Fact]
    public void Documented_events_parse_in_both_schemas_and_their_payloads_read()
    {
        var delivery = EventDeliveryParser.Parse(Encoding.UTF8.GetBytes(AcsEvents.Batch([.. Documented, .. Documented.Select(AcsEvents.ToCloudEvent)])));

        Assert.NotNull(delivery);
        Assert.Empty(delivery.Rejected);
        Assert.Equal(8, delivery.Events.Count);
        Assert.True(delivery.Events[0].TryReadData<AcsSmsReceivedEventData>(out var sms) && sms.Message == "hello");
        Assert.False(delivery.Events[0].TryReadData<AcsIncomingCallEventData>(out _));
    }

    [Fact]
    public void A_repeated_property_or_an_element_claiming_both_schemas_is_refused()
    {
        var sms = Documented[0].ToJsonString();
        var repeatedId = sms.Replace("\"id\":", "\"id\":\"other\",\"id\":", StringComparison.Ordinal);
        var repeatedInData = sms.Replace("\"message\":", "\"message\":\"STOP\",\"message\":", StringComparison.Ordinal);
        var both = (JsonObject)Documented[0].DeepClone();
        both["specversion"] = "1.0";

        Assert.Null(EventDeliveryParser.Parse(Encoding.UTF8.GetBytes(repeatedId)));
        Assert.Null(EventDeliveryParser.Parse(Encoding.UTF8.GetBytes(repeatedInData)));
        Assert.Equal([0], EventDeliveryParser.Parse(Encoding.UTF8.GetBytes(both.ToJsonString()))!.Rejected.Select(r => r.Index));
    }
}
