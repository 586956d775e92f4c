using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Telephony;

/// <summary><c>GET /api/calls/{id}/recording</c>: the org's members hear it; a tampered blob never plays its bad part.</summary>
public class RecordingPlaybackTests(TelephonyFixture fixture) : IClassFixture<TelephonyFixture>
{
    private static int _seed = 4000;
    private TelephonyApp T => fixture.Telephony;

    private static string NewNumber() => "+1555040" + Interlocked.Increment(ref _seed).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A call of a new org with a stored recording of <paramref name="audio"/>; returns the owner's client and the call id.</summary>
    private async Task<(HttpClient Owner, string CallId, RecordingEntity Row)> RecordedCallAsync(byte[] audio)
    {
        var number = NewNumber();
        var (org, owner) = await T.OrgWithNumberAsync(number);
        var serverCallId = "srv-" + Guid.NewGuid().ToString("N");
        var (callId, _, _) = await T.AnswerIncomingCallAsync(number, "+15550409999", serverCallId);
        var docId = await T.DeliverRecordingAsync(serverCallId, audio);
        var row = (await T.App.Services.GetRequiredService<RecordingRepository>().FindAsync(org.OrgId, RecordingEntity.KeyFor(docId), default))!;
        return (owner, callId, row);
    }

    private async Task<byte[]> StoredBlobAsync(RecordingEntity row)
    {
        var container = await T.App.Services.GetRequiredService<HiroiBlobs>().GetAsync(HiroiBlobs.Recordings);
        return (await container.GetBlobClient(row.BlobName).DownloadContentAsync()).Value.Content.ToArray();
    }

    private async Task ReplaceBlobAsync(RecordingEntity row, byte[] content)
    {
        var container = await T.App.Services.GetRequiredService<HiroiBlobs>().GetAsync(HiroiBlobs.Recordings);
        await container.GetBlobClient(row.BlobName).UploadAsync(new BinaryData(content), overwrite: true);
    }

    [Fact]
    public async Task A_member_plays_the_recording_and_the_playback_is_audited()
    {
        var audio = RandomNumberGenerator.GetBytes(300_000); // five segments
        var (owner, callId, _) = await RecordedCallAsync(audio);

        var response = await owner.GetAsync($"/api/calls/{callId}/recording");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/wav", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(audio.Length, response.Content.Headers.ContentLength);
        Assert.Equal("1", Assert.Single(response.Headers.GetValues("Recording-Chunks")));
        Assert.Equal(audio, await response.Content.ReadAsByteArrayAsync());
        Assert.True(response.Headers.CacheControl?.NoStore);

        var audit = await owner.GetFromJsonAsync<JsonElement>("/api/audit?action=recording.played");
        Assert.Contains(audit.GetProperty("entries").EnumerateArray(), e => e.GetProperty("target").GetString() == "call:" + callId);
    }

    [Fact]
    public async Task Another_org_gets_404_and_bad_ids_or_chunks_are_4xx()
    {
        var (owner, callId, _) = await RecordedCallAsync(RandomNumberGenerator.GetBytes(1000));
        var other = T.App.ClientWithKey((await T.App.CreateOrgAsync("Other")).OwnerApiKey);

        await ProblemAssert.IsProblemAsync(await other.GetAsync($"/api/calls/{callId}/recording"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync("/api/calls/call_nope/recording"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync($"/api/calls/{callId}/recording?chunk=1"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync($"/api/calls/{callId}/recording?chunk=-1"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync($"/api/calls/{callId}/recording?chunk=x"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await T.App.CreateClient().GetAsync($"/api/calls/{callId}/recording"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_tampered_first_segment_sends_no_audio_at_all()
    {
        var audio = RandomNumberGenerator.GetBytes(100_000);
        var (owner, callId, row) = await RecordedCallAsync(audio);
        var stored = await StoredBlobAsync(row);
        stored[100] ^= 0x01; // inside segment 0
        await ReplaceBlobAsync(row, stored);

        var response = await owner.GetAsync($"/api/calls/{callId}/recording");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    public async Task A_bad_later_segment_stops_the_stream_before_any_of_its_bytes(string damage)
    {
        const int segment = 64 * 1024;
        var audio = RandomNumberGenerator.GetBytes(segment * 3 + 500);
        var (owner, callId, row) = await RecordedCallAsync(audio);
        var stored = await StoredBlobAsync(row);
        const int header = 17;
        const int sealedSegment = segment + 16;
        // Damage segment 2 (the third): flip a byte in it, or cut the blob in the middle of it.
        stored = damage == "flip"
            ? stored.Select((b, i) => i == header + 2 * sealedSegment + 10 ? (byte)(b ^ 0x80) : b).ToArray()
            : stored[..(header + 2 * sealedSegment + 1000)];
        await ReplaceBlobAsync(row, stored);

        using var response = await owner.GetAsync($"/api/calls/{callId}/recording", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var failed = false;
        try
        {
            await body.CopyToAsync(received);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException)
        {
            failed = true;
        }

        Assert.True(failed || received.Length < audio.Length, "the damaged recording was delivered whole");
        Assert.True(received.Length <= 2 * segment, $"{received.Length} bytes left: the bad segment's bytes must not");
        Assert.Equal(audio.AsSpan(0, (int)received.Length).ToArray(), received.ToArray());
    }
}
