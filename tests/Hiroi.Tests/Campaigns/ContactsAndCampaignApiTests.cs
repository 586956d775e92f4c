using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Campaigns;

public class ContactsAndCampaignApiTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private static int _senders = 1000;

    private async Task<(HttpClient Admin, string Sender)> OrgAsync()
    {
        var org = await app.CreateOrgAsync();
        var admin = app.ClientWithKey(org.OwnerApiKey);
        // Numbers belong to one org each: every org of this class gets its own (a random pick collided now and then).
        var sender = "+1555060" + Interlocked.Increment(ref _senders).ToString(System.Globalization.CultureInfo.InvariantCulture);
        (await admin.PostAsJsonAsync("/api/numbers", new { number = sender })).EnsureSuccessStatusCode();
        return (admin, sender);
    }

    private static async Task<string> NewListAsync(HttpClient admin)
    {
        var created = await admin.PostAsJsonAsync("/api/lists", new { name = "People" });
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static Task<HttpResponseMessage> ImportAsync(HttpClient admin, string listId, string csv, string? region = null) =>
        admin.PostAsync($"/api/lists/{listId}/contacts" + (region is null ? "" : "?region=" + region), new StringContent(csv, Encoding.UTF8, "text/csv"));

    [Fact]
    public async Task An_import_keeps_good_rows_reports_bad_ones_by_line_and_merges_duplicates()
    {
        var (admin, _) = await OrgAsync();
        var listId = await NewListAsync(admin);
        const string csv = """
            Phone,Name,TimeZone,SMS_Consent
            +12125550001,Ann,America/New_York,yes
            not-a-number,Bob,,yes
            2125550002,Cy,Mars/Olympus,yes
            (212) 555-0003,Di,,maybe
            +12125550001,Ann B,,
            +15555550100,Eve,,yes
            "+1 212 555 0004","Fay, Jr.",Europe/London,no
            """;

        var response = await ImportAsync(admin, listId, csv);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(7, result.GetProperty("rows").GetInt32());
        Assert.Equal(2, result.GetProperty("imported").GetInt32());
        Assert.Equal(1, result.GetProperty("duplicatesMerged").GetInt32());
        Assert.Equal(4, result.GetProperty("rejected").GetInt32());
        Assert.Equal([3, 4, 5, 7], result.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt32()));
        Assert.DoesNotContain("not-a-number", result.ToString(), StringComparison.Ordinal); // errors name the problem, not the data

        var contacts = JsonDocument.Parse(await admin.GetStringAsync($"/api/lists/{listId}/contacts")).RootElement.GetProperty("contacts").EnumerateArray().ToList();
        Assert.Equal(["+12125550001", "+12125550004"], contacts.Select(c => c.GetProperty("number").GetString()));
        Assert.Equal("Ann B", contacts[0].GetProperty("name").GetString());
        Assert.Equal("America/New_York", contacts[0].GetProperty("timeZone").GetString());
        Assert.True(contacts[0].GetProperty("smsConsent").GetBoolean());
        Assert.Equal("Fay, Jr.", contacts[1].GetProperty("name").GetString());
        Assert.False(contacts[1].GetProperty("smsConsent").GetBoolean());
    }

    [Fact]
    [Lane(Lanes.Slow)]
    public async Task A_hundred_thousand_row_import_is_streamed_in_batches()
    {
        var (admin, _) = await OrgAsync();
        var listId = await NewListAsync(admin);
        var csv = new StringBuilder("phone,sms_consent\n");
        for (var i = 0; i < 100_000; i++)
        {
            csv.Append("+1646").Append((2_000_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(",yes\n");
        }

        var result = JsonDocument.Parse(await (await ImportAsync(admin, listId, csv.ToString())).Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(100_000, result.GetProperty("imported").GetInt32());
        Assert.Equal(0, result.GetProperty("rejected").GetInt32());
        var page = JsonDocument.Parse(await admin.GetStringAsync($"/api/lists/{listId}/contacts")).RootElement;
        Assert.Equal(500, page.GetProperty("contacts").GetArrayLength());
        Assert.False(string.IsNullOrEmpty(page.GetProperty("next").GetString()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("name,email\nAnn,ann@example.com\n", "phone column")]
    public async Task A_file_the_importer_cannot_use_is_a_400_and_imports_nothing(string csv, string expected)
    {
        var (admin, _) = await OrgAsync();
        var listId = await NewListAsync(admin);

        var problem = await ProblemAssert.IsProblemAsync(await ImportAsync(admin, listId, csv), HttpStatusCode.BadRequest);

        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        var contacts = JsonDocument.Parse(await admin.GetStringAsync($"/api/lists/{listId}/contacts")).RootElement.GetProperty("contacts");
        Assert.Equal(0, contacts.GetArrayLength());
        await ProblemAssert.IsProblemAsync(await ImportAsync(admin, listId, "phone\n+12125550001\n", region: "XX"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Another_orgs_lists_and_campaigns_are_404_and_cannot_be_used()
    {
        var (owner, _) = await OrgAsync();
        var listId = await NewListAsync(owner);
        var (other, otherSender) = await OrgAsync();

        await ProblemAssert.IsProblemAsync(await other.GetAsync($"/api/lists/{listId}/contacts"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await ImportAsync(other, listId, "phone\n+12125550001\n"), HttpStatusCode.NotFound);
        var create = await other.PostAsJsonAsync("/api/campaigns", new { name = "x", channel = "sms", listId, senderNumbers = new[] { otherSender }, message = "hi" });
        var problem = await ProblemAssert.IsProblemAsync(create, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("listId", out _));

        var (_, sender) = await OrgAsync();
        var campaign = await owner.PostAsJsonAsync("/api/campaigns", new { name = "x", channel = "sms", listId, senderNumbers = new[] { sender }, message = "hi" });
        Assert.True((await ProblemAssert.IsProblemAsync(campaign, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("senderNumbers", out _));
    }

    [Fact]
    public async Task A_bad_campaign_names_every_bad_field_and_creates_nothing()
    {
        var (admin, _) = await OrgAsync();
        var body = """
            {"name":"","channel":"fax","senderNumbers":["nope"],"window":{"start":"25:00","end":"07:00"},"dailyCap":-1,
             "pacingPerSenderPerMinute":1000,"retry":{"maxAttempts":0,"backoffMinutes":0,"on":["declined"]},"outcomeTimeoutSeconds":1,
             "endsAt":"2020-01-01T00:00:00Z"}
            """;

        var problem = await ProblemAssert.IsProblemAsync(await admin.PostAsync("/api/campaigns", new StringContent(body, Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToHashSet();
        foreach (var field in new[] { "name", "channel", "listId", "senderNumbers", "window.start", "dailyCap", "pacingPerSenderPerMinute", "retry.maxAttempts",
            "retry.backoffMinutes", "retry.on", "outcomeTimeoutSeconds", "endsAt" })
        {
            Assert.Contains(field, errors);
        }

        Assert.Equal(0, JsonDocument.Parse(await admin.GetStringAsync("/api/campaigns")).RootElement.GetArrayLength());
        await ProblemAssert.IsProblemAsync(await admin.PostAsync("/api/campaigns", new StringContent("{not json", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await admin.PostAsync("/api/campaigns/cmp_0000000000000000/start", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_do_not_contact_list_adds_lists_imports_and_removes()
    {
        var (admin, _) = await OrgAsync();

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/dnc", new { number = "(212) 555-0101", reason = "asked by phone" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/api/dnc", new { number = "+12125550101" })).StatusCode);
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/api/dnc", new { number = "12" }), HttpStatusCode.BadRequest);
        var imported = await admin.PostAsync("/api/dnc/import", new StringContent("phone\n+12125550102\nbad\n+12125550103\n", Encoding.UTF8, "text/csv"));
        var result = JsonDocument.Parse(await imported.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, result.GetProperty("added").GetInt32());
        Assert.Equal(3, Assert.Single(result.GetProperty("errors").EnumerateArray()).GetProperty("line").GetInt32());

        var listed = JsonDocument.Parse(await admin.GetStringAsync("/api/dnc")).RootElement.EnumerateArray().Select(e => e.GetProperty("number").GetString()).ToList();
        Assert.Equal(["+12125550101", "+12125550102", "+12125550103"], listed);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/dnc/%2B12125550102")).StatusCode);
        await ProblemAssert.IsProblemAsync(await admin.DeleteAsync("/api/dnc/%2B12125550102"), HttpStatusCode.NotFound);
    }
}
