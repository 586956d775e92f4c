using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Telephony;

/// <summary>
/// Hundreds of malformed, truncated, oversized, wrongly typed and unauthenticated deliveries: none may get a 5xx (which
/// would make Event Grid retry garbage for a day) and none may change anything in storage.
/// </summary>
public class HostileDeliveryTests(TelephonyFixture fixture) : IClassFixture<TelephonyFixture>
{
    private const string Route = "/api/eventgrid/acs";
    private const string Number = "+15550300001";
    private TelephonyApp T => fixture.Telephony;

    public static IEnumerable<(string Name, string? Secret, byte[] Body)> HostileDeliveries()
    {
        var good = AcsEvents.Batch(AcsEvents.SmsReceived("+15550300002", Number, "hello there"), AcsEvents.DeliveryReport(Number, "+15550300002", "Outgoing_1", "Delivered"));
        var secret = TelephonyApp.WebhookSecret;

        // Truncated at every 7th byte.
        for (var cut = 1; cut < good.Length - 1; cut += 7)
        {
            yield return ($"truncated@{cut}", secret, Encoding.UTF8.GetBytes(good[..cut]));
        }

        // Not JSON, or JSON of the wrong shape.
        foreach (var text in new[] { "", " ", "null", "42", "\"text\"", "[]", "{}", "[[]]", "[1,2]", "[null]", "true", "<xml/>", "{\"id\":", "[{}]",
            "[{\"eventType\":\"Microsoft.Communication.SMSReceived\"}]", "[{\"specversion\":\"1.0\"}]", "{\"specversion\":\"1.0\",\"id\":\"x\"}",
            new string('[', 5000) + new string(']', 5000), "\u0000\u0001\u0002", "[{\"id\":\"1\",\"eventType\":\"X\",\"data\":" + new string('{', 100) })
        {
            yield return ($"shape:{text[..Math.Min(text.Length, 20)]}", secret, Encoding.UTF8.GetBytes(text));
        }

        yield return ("invalid utf8", secret, [0x5B, 0xFF, 0xFE, 0x5D]);
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(1, 2000)];
            random.NextBytes(bytes);
            yield return ($"random#{i}", secret, bytes);
        }

        // Well-formed envelopes with wrongly typed or missing fields.
        var mutations = new (string Name, Action<JsonObject> Mutate)[]
        {
            ("from number", e => e["data"]!["from"] = 42),
            ("from null", e => e["data"]!["from"] = null),
            ("to object", e => e["data"]!["to"] = new JsonObject()),
            ("to letters", e => e["data"]!["to"] = "call me maybe"),
            ("message array", e => e["data"]!["message"] = new JsonArray(1, 2)),
            ("message missing", e => e["data"]!.AsObject().Remove("message")),
            ("messageId missing", e => e["data"]!.AsObject().Remove("messageId")),
            ("data string", e => e["data"] = "not an object"),
            ("data array", e => e["data"] = new JsonArray()),
            ("data null", e => e["data"] = null),
            ("id missing", e => e.Remove("id")),
            ("id number", e => e["id"] = 5),
            ("eventTime bad", e => e["eventTime"] = "yesterday"),
            ("eventType number", e => e["eventType"] = 7),
            ("subject number", e => e["subject"] = 1),
            ("dataVersion missing", e => e.Remove("dataVersion")),
            ("timestamp bad", e => e["data"]!["receivedTimestamp"] = "soon"),
            ("from too long", e => e["data"]!["from"] = new string('1', 40)),
            ("from zero", e => e["data"]!["from"] = "+0123456789"),
            ("to short", e => e["data"]!["to"] = "+1"),
        };
        foreach (var (name, mutate) in mutations)
        {
            var sms = AcsEvents.SmsReceived("+15550300002", Number, "mutated");
            mutate(sms);
            yield return ($"grid:{name}", secret, Encoding.UTF8.GetBytes(AcsEvents.Batch(sms)));
            var cloud = AcsEvents.ToCloudEvent(AcsEvents.SmsReceived("+15550300002", Number, "mutated"));
            var envelope = new JsonObject
            {
                ["data"] = cloud["data"]!.DeepClone(), ["id"] = "keep", ["eventTime"] = "keep", ["eventType"] = "keep", ["subject"] = "keep", ["dataVersion"] = "keep",
            };
            mutate(envelope);
            cloud["data"] = envelope["data"]?.DeepClone();
            MapEnvelope(envelope, cloud, "id", "id");
            MapEnvelope(envelope, cloud, "eventTime", "time");
            MapEnvelope(envelope, cloud, "eventType", "type");
            MapEnvelope(envelope, cloud, "subject", "subject");
            MapEnvelope(envelope, cloud, "dataVersion", "specversion");
            yield return ($"cloud:{name}", secret, Encoding.UTF8.GetBytes(cloud.ToJsonString()));
        }

        var report = AcsEvents.DeliveryReport(Number, "+15550300002", "Outgoing_x", "Delivered");
        report["data"]!["deliveryStatus"] = 3;
        yield return ("report status number", secret, Encoding.UTF8.GetBytes(AcsEvents.Batch(report)));
        var noStatus = AcsEvents.DeliveryReport(Number, "+15550300002", "Outgoing_x", "Delivered");
        noStatus["data"]!.AsObject().Remove("deliveryStatus");
        yield return ("report status missing", secret, Encoding.UTF8.GetBytes(AcsEvents.Batch(noStatus)));

        // Oversized.
        yield return ("oversized array", secret,
            Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat(AcsEvents.SmsReceived("+15550300002", Number, new string('a', 5000)).ToJsonString(), 250)) + "]"));
        yield return ("oversized text", secret, Encoding.UTF8.GetBytes(AcsEvents.Batch(AcsEvents.SmsReceived("+15550300002", Number, new string('b', 1_100_000)))));
        yield return ("oversized whitespace", secret, Encoding.UTF8.GetBytes(new string(' ', 1_048_577)));

        // Unauthenticated: a perfectly good delivery with no, wrong or near-miss secrets.
        var wrongSecrets = new[] { null, "", " ", "wrong", secret.ToUpperInvariant(), secret + " ", " " + secret, secret[..^1], secret + "x", "Bearer " + secret };
        for (var i = 0; i < 3; i++)
        {
            foreach (var wrong in wrongSecrets)
            {
                yield return ($"auth#{i}:{wrong}", wrong ?? "<none>", Encoding.UTF8.GetBytes(good));
            }
        }
    }

    /// <summary>Carries an envelope mutation made in Event Grid terms over to the CloudEvents attribute.</summary>
    private static void MapEnvelope(JsonObject gridShape, JsonObject cloud, string gridName, string cloudName)
    {
        if (!gridShape.ContainsKey(gridName))
        {
            cloud.Remove(cloudName);
        }
        else if (gridShape[gridName]?.ToJsonString() != "\"keep\"")
        {
            cloud[cloudName] = gridShape[gridName]?.DeepClone();
        }
    }

    [Fact]
    public async Task Hostile_deliveries_get_4xx_and_change_nothing()
    {
        await T.OrgWithNumberAsync(Number);
        var before = await SnapshotAsync();
        var deliveries = HostileDeliveries().ToList();
        Assert.True(deliveries.Count >= 200, $"only {deliveries.Count} deliveries");

        var failures = new List<string>();
        foreach (var (name, secret, body) in deliveries)
        {
            var client = T.Webhook(secret == "<none>" ? null : secret);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            var response = await client.PostAsync(Route, content);
            if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.OK && name.StartsWith("auth", StringComparison.Ordinal))
            {
                failures.Add($"{name}: {(int)response.StatusCode}");
            }
            else if (response.StatusCode is not (HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.RequestEntityTooLarge))
            {
                failures.Add($"{name}: expected a 4xx, got {(int)response.StatusCode}");
            }
        }

        Assert.Empty(failures);
        Assert.Equal(before, await SnapshotAsync());
        Assert.DoesNotContain(T.SentSms(), s => s.To == "+15550300002");
    }

    private Task<string> SnapshotAsync() => StorageScan.SnapshotAsync(T.App.StorageConnectionString, T.App.Prefix);
}
