using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Protection;

/// <summary>
/// Malformed bodies, charsets, content types and oversized or mistyped fields against every route that takes a body,
/// on both hosts: none gets a 5xx or a 2xx, and not one table row or blob changes.
/// </summary>
[Lane(Lanes.Slow)]
public class BodyFuzzTests(BothHosts hosts) : IClassFixture<BothHosts>
{
    public static TheoryData<string> Hosts => ["self", "functions"];

    private static readonly string[] CsvRoutes = ["ImportContacts", "ImportDoNotContact"];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A well-formed JSON object of <paramref name="type"/>'s properties, each given <paramref name="value"/>'s result.</summary>
    private static JsonObject ObjectOf(Type type, Func<PropertyInfo, JsonNode?> value)
    {
        var json = new JsonObject();
        foreach (var property in type.GetProperties())
        {
            json[JsonNamingPolicy.CamelCase.ConvertName(property.Name)] = value(property);
        }

        return json;
    }

    /// <summary>A JSON value of the wrong kind for <paramref name="type"/>.</summary>
    private static JsonNode WrongKind(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(string) ? JsonValue.Create(12345)
            : t == typeof(bool) ? JsonValue.Create("yes")
            : t.IsPrimitive || t == typeof(decimal) || t == typeof(DateTimeOffset) || t.IsEnum ? new JsonObject { ["nested"] = true }
            : JsonValue.Create(42);
    }

    public static IEnumerable<(string Name, string? ContentType, byte[] Body)> JsonBodiesFor(Type bodyType)
    {
        var plausible = Utf8("{\"name\":\"x\",\"role\":\"member\"}");
        foreach (var contentType in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz",
            "application/json; charset=utf-16", "application/json; charset=x-bogus", "application/json; charset=\"", "application/json;;;",
            "application/jso", "image/png", "application/json; charset=latin1", "text/csv" })
        {
            yield return ($"type {contentType}", contentType, plausible);
        }

        yield return ("no content type", null, plausible);
        foreach (var text in new[] { "", " ", "{", "}", "[", "[]", "null", "true", "0", "-1", "\"str\"", "{\"a\":}", "{'a':1}", "{\"a\":1,}",
            "{\"name\":\"x\"", "{\"name\":\"x\"}}", "[{}]", "1e400", "{\"name\":1e400}", "\u0000", "{\"\u0000\":1}",
            new string('[', 5000) + new string(']', 5000), new string('{', 70) })
        {
            yield return ($"json {text[..Math.Min(text.Length, 16)]}", "application/json", Utf8(text));
        }

        yield return ("invalid utf8 in a string", "application/json", [.. Utf8("{\"name\":\""), 0xC3, 0x28, .. Utf8("\"}")]);
        yield return ("lone surrogate escape", "application/json", Utf8("{\"name\":\"\\uD800\",\"email\":\"\\uDC00\",\"number\":\"\\uD800\"}"));
        yield return ("every field the wrong kind", "application/json", Utf8(ObjectOf(bodyType, p => WrongKind(p.PropertyType)).ToJsonString()));
        yield return ("every field an array", "application/json", Utf8(ObjectOf(bodyType, _ => new JsonArray(1, 2)).ToJsonString()));
        yield return ("every field an object", "application/json", Utf8(ObjectOf(bodyType, _ => new JsonObject { ["x"] = 1 }).ToJsonString()));
        foreach (var property in bodyType.GetProperties())
        {
            var wrong = ObjectOf(bodyType, _ => null);
            wrong[JsonNamingPolicy.CamelCase.ConvertName(property.Name)] = WrongKind(property.PropertyType);
            yield return ($"{property.Name} wrong kind", "application/json", Utf8(wrong.ToJsonString()));
        }

        yield return ("every string 200k", "application/json",
            Utf8(ObjectOf(bodyType, p => p.PropertyType == typeof(string) ? JsonValue.Create(new string('a', 200_000)) : WrongKind(p.PropertyType)).ToJsonString()));
        yield return ("every string control chars", "application/json",
            Utf8(ObjectOf(bodyType, p => p.PropertyType == typeof(string) ? JsonValue.Create("\u0001\u202E\u0000") : WrongKind(p.PropertyType)).ToJsonString()));
        var random = new Random(bodyType.Name.Length);
        for (var i = 0; i < 35; i++)
        {
            var bytes = new byte[random.Next(1, 3000)];
            random.NextBytes(bytes);
            yield return ($"random#{i}", "application/json", bytes);
        }
    }

    public static IEnumerable<(string Name, string? ContentType, byte[] Body)> CsvBodies()
    {
        var random = new Random(11);
        for (var i = 0; i < 35; i++)
        {
            var bytes = new byte[random.Next(1, 3000)];
            random.NextBytes(bytes);
            yield return ($"csv random#{i}", "text/csv", bytes);
        }

        foreach (var contentType in new[] { "application/json", "image/png", "text/csv; charset=x-bogus", "multipart/form-data; boundary=zz" })
        {
            yield return ($"csv as {contentType}", contentType, Utf8("phone\n+12125550123\n"));
        }

        yield return ("csv invalid utf8", "text/csv", [.. Utf8("phone\n+1212555"), 0xC3, 0x28, 0xFF, .. Utf8("\n")]);
        yield return ("csv no header", "text/csv", Utf8("\n\n\n"));
        yield return ("csv header only", "text/csv", Utf8("name,email\n"));
        yield return ("csv 6 MB", "text/csv", Utf8("phone\n" + string.Concat(Enumerable.Repeat("not-a-number-at-all\n", 320_000))));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Malformed_bodies_on_every_body_route_get_4xx_and_change_nothing(string host)
    {
        var org = await hosts.CreateOrgAsync(host);
        var owner = hosts.Client(host, org.OwnerApiKey);
        var ids = await OrgResources.CreateAsync(owner);
        var routes = (host == "self" ? RouteTable.Of(hosts.SelfHost.Services) : hosts.Functions.App.Routes)
            .Where(r => r.BodyType is not null || CsvRoutes.Contains(r.Name)).ToList();
        Assert.True(routes.Count >= 10, $"only {routes.Count} routes take a body");
        var (connection, prefix) = host == "self"
            ? (hosts.SelfHost.StorageConnectionString, hosts.SelfHost.Prefix)
            : (TestStorage.ConnectionString, hosts.Functions.App.Prefix);
        var before = await StorageScan.SnapshotAsync(connection, prefix);

        var sent = 0;
        var failures = new List<string>();
        foreach (var route in routes)
        {
            var path = route.Fill(name => ids[name]);
            var bodies = route.BodyType is { } type ? JsonBodiesFor(type) : CsvBodies();
            foreach (var (name, contentType, body) in bodies)
            {
                using var content = new ByteArrayContent(body);
                if (contentType is not null)
                {
                    content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }

                using var request = new HttpRequestMessage(new HttpMethod(route.Method), path) { Content = content };
                var response = await owner.SendAsync(request);
                sent++;
                var status = (int)response.StatusCode;
                if (status is < 400 or >= 500)
                {
                    failures.Add($"{route} {name}: {status} {(await response.Content.ReadAsStringAsync())[..Math.Min(200, (int)(response.Content.Headers.ContentLength ?? 0))]}");
                }
                else if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{route} {name}: {status} without problem details");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent}:\n" + string.Join('\n', failures.Take(40)));
        Assert.True(sent >= 1000, $"only {sent} bodies sent");
        Assert.Equal(before, await StorageScan.SnapshotAsync(connection, prefix));
    }
}
