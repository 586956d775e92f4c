using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Hiroi.Durable.Retention;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Privacy;

/// <summary>
/// One person's footprint made through the real paths: two contact rows linked by an email, messages both ways, a STOP,
/// a do-not-contact entry, a campaign enrolment with its send, an answered call with its encrypted recording. Beside
/// them, a second person of the same org whose data must stay.
/// </summary>
internal sealed record Footprint(CreatedOrganization Org, HttpClient Owner, string OurNumber, string Phone, string LinkedPhone, string Email, string Other, string RecordingBlob);

public class PrivacyTests(TelephonyFixture fixture) : IClassFixture<TelephonyFixture>
{
    private const string Route = "/api/eventgrid/acs";
    private static int _seed = 100;
    private TelephonyApp T => fixture.Telephony;

    private static string NewNumber(string exchange) =>
        "+1" + exchange + "555" + Interlocked.Increment(ref _seed).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private Task<Footprint> MakeFootprintAsync() => MakeFootprintAsync(T);

    internal static async Task<Footprint> MakeFootprintAsync(TelephonyApp T)
    {
        var ourNumber = NewNumber("646");
        var (org, owner) = await T.OrgWithNumberAsync(ourNumber);
        var (phone, linked, other) = (NewNumber("212"), NewNumber("718"), NewNumber("917"));
        var email = $"erin.{Guid.NewGuid():N}@Example.org";
        var zone = ZonesNow.Open();
        var customers = await CampaignApp.ListWithAsync(owner,
            $"phone,name,email,timezone,sms_consent\n{phone},Erin Example,{email},{zone},yes\n{other},Carl Control,carl@example.org,{zone},yes\n");
        await CampaignApp.ListWithAsync(owner, $"phone,email\n{linked},{email.ToUpperInvariant()}\n");

        foreach (var (from, text) in new[] { (phone, "Hi, it is Erin"), (linked, "Erin again from my work phone"), (other, "Carl here"), (linked, "STOP") })
        {
            var delivered = await T.Webhook().PostAsync(Route, TelephonyApp.Json(AcsEvents.Batch(AcsEvents.SmsReceived(from, ourNumber, text))));
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        }

        (await owner.PostAsJsonAsync("/api/dnc", new { number = phone, reason = "asked by phone" })).EnsureSuccessStatusCode();

        var serverCallId = "srv-" + Guid.NewGuid().ToString("N");
        await T.AnswerIncomingCallAsync(ourNumber, phone, serverCallId);
        var docId = await T.DeliverRecordingAsync(serverCallId, RandomNumberGenerator.GetBytes(4096));
        var recording = (await T.App.Services.GetRequiredService<RecordingRepository>().FindAsync(org.OrgId, RecordingEntity.KeyFor(docId), default))!;

        // The do-not-contact entry skips Erin; Carl is texted. Both stay enrolled.
        var campaignId = await CampaignApp.CampaignAsync(owner, customers, ourNumber);
        (await owner.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();
        await CampaignApp.WaitForAsync(owner, $"/api/campaigns/{campaignId}/contacts",
            c => c.EnumerateArray().Count(x => x.GetProperty("state").GetString() != "pending") == 2);
        return new Footprint(org, owner, ourNumber, phone, linked, email.ToLowerInvariant(), other, recording.BlobName);
    }

    /// <summary>The forms a number could be stored in: E.164, digits only, national digits only.</summary>
    internal static string[] Traces(string e164) => [e164, e164[1..], e164[2..]];

    private Task<IReadOnlyList<string>> ScanAsync(params string[] needles) => StorageScan.FindAsync(T.App, needles);

    [Fact]
    public async Task After_erasure_no_row_blob_or_message_in_storage_holds_the_number_or_email_and_sends_stay_blocked()
    {
        var f = await MakeFootprintAsync();
        var needles = Traces(f.Phone).Concat(Traces(f.LinkedPhone)).Append(f.Email).ToArray();
        Assert.NotEmpty(await ScanAsync(needles)); // the scan sees them before
        Assert.NotEmpty(await ScanAsync(Traces(f.Other)));

        var response = await f.Owner.PostAsJsonAsync("/api/privacy/erasure", new { email = f.Email });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var erased = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("erased");
        Assert.Equal(2, erased.GetProperty("contacts").GetInt32());
        Assert.Equal(1, erased.GetProperty("calls").GetInt32());
        Assert.Equal(1, erased.GetProperty("recordings").GetInt32());
        Assert.Equal(1, erased.GetProperty("campaignContacts").GetInt32());
        Assert.Equal(2, erased.GetProperty("conversations").GetInt32());
        Assert.True(erased.GetProperty("messages").GetInt32() >= 3); // two inbound, the STOP confirmation
        Assert.Empty(await ScanAsync(needles));
        Assert.NotEmpty(await ScanAsync(Traces(f.Other))); // the other person's data stays
        var container = await T.App.Services.GetRequiredService<HiroiBlobs>().GetAsync(HiroiBlobs.Recordings);
        Assert.False((await container.GetBlobClient(f.RecordingBlob).ExistsAsync()).Value);

        // The opt-out and the do-not-contact list still hold, now by pseudonym only.
        Assert.True(await T.App.Services.GetRequiredService<OptOutRegistry>().IsOptedOutAsync(f.Org.OrgId, f.LinkedPhone, default));
        var dnc = T.App.Services.GetRequiredService<DoNotContactList>();
        Assert.True(await dnc.IsListedAsync(f.Org.OrgId, f.Phone, default));
        Assert.True(await dnc.IsListedAsync(f.Org.OrgId, f.LinkedPhone, default));
        var optOut = Assert.Single(JsonDocument.Parse(await f.Owner.GetStringAsync("/api/optouts")).RootElement.EnumerateArray());
        Assert.True(optOut.GetProperty("optedOut").GetBoolean());
        Assert.False(optOut.TryGetProperty("number", out var shown) && shown.ValueKind != JsonValueKind.Null);
        var sms = await T.App.Services.GetRequiredService<OutboundSms>().SendAsync(
            new OutboundSmsRequest(f.Org.OrgId, f.OurNumber, f.LinkedPhone, "We miss you", SmsPurpose.Campaign, "after-erasure", DateTimeOffset.UtcNow), default);
        Assert.Equal(SmsOutcome.BlockedOptedOut, sms.Outcome);

        var audit = JsonDocument.Parse(await f.Owner.GetStringAsync("/api/audit?action=privacy.erased")).RootElement.GetProperty("entries");
        var entry = Assert.Single(audit.EnumerateArray());
        Assert.Equal("subject", entry.GetProperty("target").GetString());
        Assert.Contains("contacts=2", entry.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var stop = Assert.Single(JsonDocument.Parse(await f.Owner.GetStringAsync("/api/audit?action=optout.recorded")).RootElement.GetProperty("entries").EnumerateArray());
        Assert.Equal("phone:anonymized", stop.GetProperty("target").GetString()); // not even the masked number stays

        var again = await f.Owner.PostAsJsonAsync("/api/privacy/erasure", new { phone = f.Phone });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode); // nothing left to find, nothing fails
        Assert.False(JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("erased").TryGetProperty("contacts", out _));
    }

    [Fact]
    public async Task An_export_by_email_holds_everything_about_the_person_and_nothing_else_and_is_audited_without_it()
    {
        var f = await MakeFootprintAsync();

        var response = await f.Owner.PostAsJsonAsync("/api/privacy/export", new { email = f.Email.ToUpperInvariant() });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        var export = JsonDocument.Parse(text).RootElement;
        Assert.Equal([f.Phone, f.LinkedPhone], export.GetProperty("subject").GetProperty("numbers").EnumerateArray().Select(n => n.GetString()!).Order().ToArray());
        Assert.Equal(2, export.GetProperty("contacts").GetArrayLength());
        Assert.Contains(export.GetProperty("contacts").EnumerateArray(), c => c.TryGetProperty("name", out var name) && name.GetString() == "Erin Example");
        Assert.Contains(export.GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString() == "Erin again from my work phone");
        Assert.Equal(f.Phone, Assert.Single(export.GetProperty("calls").EnumerateArray()).GetProperty("customerNumber").GetString());
        var recording = Assert.Single(export.GetProperty("recordings").EnumerateArray());
        Assert.False(recording.TryGetProperty("wrappedKey", out _)); // key material is not the person's data
        Assert.Equal(f.LinkedPhone, Assert.Single(export.GetProperty("optOuts").EnumerateArray()).GetProperty("number").GetString());
        Assert.Equal("asked by phone", Assert.Single(export.GetProperty("doNotContact").EnumerateArray()).GetProperty("reason").GetString());
        Assert.StartsWith("cmp_", Assert.Single(export.GetProperty("campaignContacts").EnumerateArray()).GetProperty("campaignId").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(f.Other, text, StringComparison.Ordinal);
        Assert.DoesNotContain("partitionKey", text, StringComparison.OrdinalIgnoreCase);

        // By number, one hop: the number's own contact row gives the email, but the email's other number stays out.
        var byPhone = JsonDocument.Parse(await (await f.Owner.PostAsJsonAsync("/api/privacy/export", new { phone = f.Phone })).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal([f.Phone], byPhone.GetProperty("subject").GetProperty("numbers").EnumerateArray().Select(n => n.GetString()!).ToArray());
        Assert.DoesNotContain(byPhone.GetProperty("messages").EnumerateArray(), m => m.GetProperty("customerNumber").GetString() == f.LinkedPhone);

        var entry = JsonDocument.Parse(await f.Owner.GetStringAsync("/api/audit?action=privacy.exported")).RootElement.GetProperty("entries").EnumerateArray()
            .Last(); // the first export
        var detail = entry.GetProperty("detail").GetString()!;
        Assert.Contains("contacts=2", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(f.Phone[2..], entry.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("erin", entry.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Bad_requests_members_and_other_orgs_get_clear_errors_and_nothing_is_erased()
    {
        var f = await MakeFootprintAsync();
        foreach (var body in new object[] { new { }, new { phone = f.Phone, email = f.Email }, new { phone = "12" }, new { email = "not-an-email" } })
        {
            await ProblemAssert.IsProblemAsync(await f.Owner.PostAsJsonAsync("/api/privacy/erasure", body), HttpStatusCode.BadRequest);
            await ProblemAssert.IsProblemAsync(await f.Owner.PostAsJsonAsync("/api/privacy/export", body), HttpStatusCode.BadRequest);
        }

        var created = await f.Owner.PostAsJsonAsync("/api/api-keys", new { name = "reader", role = "member" });
        var memberKey = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.Forbidden, (await T.App.ClientWithKey(memberKey).PostAsJsonAsync("/api/privacy/erasure", new { phone = f.Phone })).StatusCode);

        // A member's email is refused: membership is removed through the members API, with its own rules.
        await ProblemAssert.IsProblemAsync(await f.Owner.PostAsJsonAsync("/api/privacy/erasure", new { email = "owner@example.com" }), HttpStatusCode.Conflict);

        // Another org naming the same person finds nothing of this org's.
        var other = await T.App.CreateOrgAsync("Other");
        var theirs = await T.App.ClientWithKey(other.OwnerApiKey).PostAsJsonAsync("/api/privacy/erasure", new { phone = f.Phone });
        Assert.Equal(HttpStatusCode.OK, theirs.StatusCode);

        Assert.NotEmpty(await ScanAsync(Traces(f.Phone)));
        var export = JsonDocument.Parse(await (await f.Owner.PostAsJsonAsync("/api/privacy/export", new { phone = f.Phone })).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, export.GetProperty("contacts").GetArrayLength());
        Assert.Empty(JsonDocument.Parse(await f.Owner.GetStringAsync("/api/audit?action=privacy.erased")).RootElement.GetProperty("entries").EnumerateArray());
    }
}

public class OrgDeletionTests(TelephonyFixture fixture) : IClassFixture<TelephonyFixture>
{
    private TelephonyApp T => fixture.Telephony;

    [Fact]
    public async Task Deleting_the_org_purges_every_row_and_blob_and_leaves_only_its_anonymized_audit_trail()
    {
        var f = await PrivacyTests.MakeFootprintAsync(T);
        var otherOrg = await T.OrgWithNumberAsync("+16465559001");
        var created = await f.Owner.PostAsJsonAsync("/api/api-keys", new { name = "admin", role = "admin" });
        var adminKey = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;

        await ProblemAssert.IsProblemAsync(await f.Owner.PostAsJsonAsync("/api/orgs/current/deletion", new { confirmName = "acme" }), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await T.App.ClientWithKey(adminKey).PostAsJsonAsync("/api/orgs/current/deletion", new { confirmName = "Acme" }),
            HttpStatusCode.Forbidden);
        Assert.NotEmpty(await ScanAsync(f.Org.OrgId.Value));

        var requested = await f.Owner.PostAsJsonAsync("/api/orgs/current/deletion", new { confirmName = "Acme" });

        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Owner.GetAsync("/api/orgs/current")).StatusCode); // keys are gone at once
        Assert.Equal(HttpStatusCode.Unauthorized, (await T.App.ClientWithKey(adminKey).GetAsync("/api/orgs/current")).StatusCode);
        var late = await T.Webhook().PostAsync("/api/eventgrid/acs", TelephonyApp.Json(AcsEvents.Batch(AcsEvents.SmsReceived(f.Phone, f.OurNumber, "anyone there?"))));
        Assert.Equal(HttpStatusCode.OK, late.StatusCode); // the number is released: acknowledged, stored for no one

        // The request started the purge's orchestration (the delay is 0 here): wait for it to finish.
        using (var timeout = new CancellationTokenSource(Waits.Ceiling))
        {
            var purged = await T.App.Workflows.WaitForInstanceCompletionAsync(OrgPurgeOrchestration.InstanceId(f.Org.OrgId), timeout.Token);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, purged.RuntimeStatus);
        }

        var personal = PrivacyTests.Traces(f.Phone).Concat(PrivacyTests.Traces(f.LinkedPhone)).Concat(PrivacyTests.Traces(f.Other))
            .Concat(PrivacyTests.Traces(f.OurNumber)).Append(f.Email).ToArray();
        Assert.Empty(await ScanAsync(personal));
        var left = await ScanAsync(f.Org.OrgId.Value);
        Assert.All(left, hit => Assert.True(
            hit.StartsWith($"table {T.App.Prefix}Audit row {f.Org.OrgId.Value}/", StringComparison.Ordinal)
            || hit.StartsWith($"table {T.App.Prefix}Orgs row {f.Org.OrgId.Value}/org", StringComparison.Ordinal), hit));
        var tombstone = (await T.App.Services.GetRequiredService<OrganizationRepository>().GetAsync(f.Org.OrgId, default))!;
        Assert.NotNull(tombstone.DeletedAt);
        Assert.Empty(tombstone.Name);
        var audit = await T.App.Services.GetRequiredService<Hiroi.Shared.Audit.AuditRepository>().ListAsync(f.Org.OrgId, default).ToListAsync();
        Assert.Contains(audit, e => e.Action == "member.added");
        Assert.All(audit, e =>
        {
            Assert.NotNull(e.AnonymizedAt);
            Assert.True(e.Actor == "anonymized" || e.Actor.StartsWith("system:", StringComparison.Ordinal), e.Actor);
            Assert.DoesNotContain("mem_", e.Target, StringComparison.Ordinal);
        });

        // Another org's data and access are untouched.
        Assert.Equal(HttpStatusCode.OK, (await otherOrg.Owner.GetAsync("/api/orgs/current")).StatusCode);
        Assert.NotEmpty(await ScanAsync(otherOrg.Org.OrgId.Value));
    }

    private Task<IReadOnlyList<string>> ScanAsync(params string[] needles) => StorageScan.FindAsync(T.App, needles);
}
