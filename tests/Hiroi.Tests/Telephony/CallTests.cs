using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Hiroi.Tests.Telephony;

public class CallTests(TelephonyFixture fixture) : IClassFixture<TelephonyFixture>
{
    private const string Route = "/api/eventgrid/acs";
    private static int _seed = 2000;
    private TelephonyApp T => fixture.Telephony;

    private static string NewNumber() => "+1555020" + Interlocked.Increment(ref _seed).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject CallbackEvent(string type, string callConnectionId, string serverCallId, JsonObject? extra = null)
    {
        var data = new JsonObject { ["callConnectionId"] = callConnectionId, ["serverCallId"] = serverCallId, ["correlationId"] = "corr" };
        foreach (var (k, v) in extra ?? [])
        {
            data[k] = v?.DeepClone();
        }

        return new JsonObject
        {
            ["specversion"] = "1.0", ["id"] = Guid.NewGuid().ToString(), ["source"] = $"calling/callConnections/{callConnectionId}",
            ["type"] = "Microsoft.Communication." + type, ["time"] = DateTimeOffset.UtcNow.ToString("O"), ["datacontenttype"] = "application/json", ["data"] = data,
        };
    }

    private Task<(string CallId, Uri Callback, string ConnectionId)> AnswerAsync(string number, string caller, string serverCallId) =>
        T.AnswerIncomingCallAsync(number, caller, serverCallId);

    private async Task<HttpResponseMessage> CallbackAsync(Uri callback, string? jwt, params JsonNode[] events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, callback.PathAndQuery)
        {
            Content = TelephonyApp.Json(AcsEvents.Batch(events), "application/cloudevents-batch+json"),
        };
        if (jwt is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        }

        return await T.App.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task An_incoming_call_is_answered_with_a_bound_callback_and_its_lifecycle_tolerates_reordering()
    {
        var number = NewNumber();
        var (_, owner) = await T.OrgWithNumberAsync(number);
        var (callId, callback, connection) = await AnswerAsync(number, "+15550201111", "srv-" + Guid.NewGuid().ToString("N"));

        Assert.StartsWith("https://hiroi.example.net/api/calls/callbacks?token=v1.", callback.ToString(), StringComparison.Ordinal);
        var call = AcsEvents.Parse(await owner.GetStringAsync($"/api/calls/{callId}"));
        Assert.Equal("answered", call.GetProperty("state").GetString());
        Assert.Equal("inbound", call.GetProperty("direction").GetString());

        var disconnected = CallbackEvent("CallDisconnected", connection, "srv");
        Assert.Equal(HttpStatusCode.OK, (await CallbackAsync(callback, T.AcsJwt(), disconnected)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallbackAsync(callback, T.AcsJwt(), CallbackEvent("CallConnected", connection, "srv"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallbackAsync(callback, T.AcsJwt(), disconnected)).StatusCode);

        call = AcsEvents.Parse(await owner.GetStringAsync($"/api/calls/{callId}"));
        Assert.Equal("disconnected", call.GetProperty("state").GetString());
        Assert.True(call.TryGetProperty("connectedAt", out _));
        Assert.True(call.TryGetProperty("endedAt", out _));
    }

    [Fact]
    public async Task Callbacks_need_both_the_acs_jwt_and_our_token()
    {
        var number = NewNumber();
        var (_, owner) = await T.OrgWithNumberAsync(number);
        var (callId, callback, connection) = await AnswerAsync(number, "+15550202222", "srv-" + Guid.NewGuid().ToString("N"));
        var connected = CallbackEvent("CallConnected", connection, "srv");
        using var otherKey = RSA.Create(2048);
        var tampered = new Uri(callback.ToString()[..^3] + "AAA");

        Assert.Equal(HttpStatusCode.Unauthorized, (await CallbackAsync(callback, jwt: null, connected)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallbackAsync(callback, T.AcsJwt(audience: "another-resource"), connected)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallbackAsync(callback, T.AcsJwt(key: otherKey), connected)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallbackAsync(tampered, T.AcsJwt(), connected)).StatusCode);
        var withoutToken = new Uri("https://hiroi.example.net/api/calls/callbacks");
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallbackAsync(withoutToken, T.AcsJwt(), connected)).StatusCode);

        Assert.Equal("answered", AcsEvents.Parse(await owner.GetStringAsync($"/api/calls/{callId}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_callback_token_cannot_be_used_for_another_call_connection()
    {
        var number = NewNumber();
        await T.OrgWithNumberAsync(number);
        var (_, callback, _) = await AnswerAsync(number, "+15550203333", "srv-" + Guid.NewGuid().ToString("N"));

        var response = await CallbackAsync(callback, T.AcsJwt(), CallbackEvent("CallDisconnected", "someone-elses-connection", "srv"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_recording_of_a_call_no_org_owns_is_acknowledged_and_not_fetched()
    {
        var recording = AcsEvents.GridEvent(Guid.NewGuid().ToString(), "Microsoft.Communication.RecordingFileStatusUpdated",
            "/recording/call/c9/serverCallId/unknown-server-call/recordingId/r9", new JsonObject
            {
                ["recordingStorageInfo"] = new JsonObject
                {
                    ["recordingChunks"] = new JsonArray(new JsonObject
                    {
                        ["documentId"] = "doc-unowned", ["index"] = 0, ["contentLocation"] = "https://us-storage.asm.skype.com/v1/objects/doc-unowned/content/audio",
                        ["deleteLocation"] = "https://us-storage.asm.skype.com/v1/objects/doc-unowned",
                    }),
                },
            });

        var response = await T.Webhook().PostAsync(Route, TelephonyApp.Json(AcsEvents.Batch(recording)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        T.Acs.Verify(a => a.DownloadRecordingAsync(It.Is<Uri>(u => u.AbsolutePath.Contains("doc-unowned")), It.IsAny<Stream>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task A_call_to_a_number_no_org_owns_is_rejected()
    {
        var response = await T.Webhook().PostAsync(Route, TelephonyApp.Json(AcsEvents.Batch(AcsEvents.IncomingCall("+15550204444", "+15559990000", "srv-unowned"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        T.Acs.Verify(a => a.RejectCallAsync("context-srv-unowned", It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task After_stop_no_call_is_placed_to_that_person()
    {
        var number = NewNumber();
        var (org, _) = await T.OrgWithNumberAsync(number);
        const string person = "+15550205555";
        await T.Webhook().PostAsync(Route, TelephonyApp.Json(AcsEvents.Batch(AcsEvents.SmsReceived(person, number, "STOP"))));

        var result = await T.App.Services.GetRequiredService<OutboundCalls>().PlaceAsync(org.OrgId, number, person, "campaign:c:1", DateTimeOffset.UtcNow, default);

        Assert.Equal(CallOutcome.BlockedOptedOut, result.Outcome);
        T.Acs.Verify(a => a.CreateCallAsync(It.Is<CreateCallRequest>(r => r.To == person), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task An_outbound_call_to_someone_subscribed_is_placed_with_its_idempotency_key()
    {
        var number = NewNumber();
        var (org, _) = await T.OrgWithNumberAsync(number);
        T.Acs.Setup(a => a.CreateCallAsync(It.IsAny<CreateCallRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync(new CallConnection("out-conn", "out-srv", "c"));

        var result = await T.App.Services.GetRequiredService<OutboundCalls>().PlaceAsync(org.OrgId, number, "+15550206666", "campaign:c:2", DateTimeOffset.UtcNow, default);

        Assert.Equal(CallOutcome.Dialing, result.Outcome);
        T.Acs.Verify(a => a.CreateCallAsync(It.Is<CreateCallRequest>(r => r.To == "+15550206666" && r.RepeatabilityId == Idempotency.ToGuid("campaign:c:2")),
            It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_recording_is_stored_encrypted_under_its_org_and_acs_copy_deleted_once()
    {
        var number = NewNumber();
        var (org, _) = await T.OrgWithNumberAsync(number);
        var serverCallId = "srv-" + Guid.NewGuid().ToString("N");
        var (callId, _, _) = await AnswerAsync(number, "+15550207777", serverCallId);
        var audio = RandomNumberGenerator.GetBytes(200_000);
        var docId = "doc-" + Guid.NewGuid().ToString("N");
        var content = new Uri($"https://us-storage.asm.skype.com/v1/objects/{docId}/content/audio");
        var delete = new Uri($"https://us-storage.asm.skype.com/v1/objects/{docId}");
        T.Acs.Setup(a => a.DownloadRecordingAsync(content, It.IsAny<Stream>(), It.IsAny<CancellationToken>()))
            .Returns<Uri, Stream, CancellationToken>((_, s, ct) => s.WriteAsync(audio, ct).AsTask());
        var recording = AcsEvents.RecordingFileStatusUpdated(serverCallId, docId, content, delete);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await T.Webhook().PostAsync(Route, TelephonyApp.Json(AcsEvents.Batch(recording)))).StatusCode);
        }

        T.Acs.Verify(a => a.DownloadRecordingAsync(content, It.IsAny<Stream>(), It.IsAny<CancellationToken>()), Times.Once);
        T.Acs.Verify(a => a.DeleteRecordingAsync(delete, It.IsAny<CancellationToken>()), Times.Once);
        var row = (await T.App.Services.GetRequiredService<RecordingRepository>().FindAsync(org.OrgId, RecordingEntity.KeyFor(docId), default))!;
        Assert.True(row.AcsCopyDeleted);
        Assert.Equal(callId, row.CallId);
        Assert.StartsWith(org.OrgId.Value + "/", row.BlobName, StringComparison.Ordinal);

        var container = await T.App.Services.GetRequiredService<HiroiBlobs>().GetAsync(HiroiBlobs.Recordings);
        var stored = (await container.GetBlobClient(row.BlobName).DownloadContentAsync()).Value.Content.ToArray();
        Assert.NotEqual(audio, stored);
        Assert.Equal(-1, stored.AsSpan().IndexOf(audio.AsSpan(0, 64)));
        Assert.True(WrappedDataKey.TryParse(row.WrappedKey, out var key));
        using var plaintext = new MemoryStream();
        await T.App.Services.GetRequiredService<RecordingKeyRing>().DecryptAsync(new MemoryStream(stored), plaintext, key!, row.BlobName, default);
        Assert.Equal(audio, plaintext.ToArray());
    }
}
