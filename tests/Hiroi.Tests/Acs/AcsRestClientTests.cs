using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Core;
using Hiroi.Shared;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Secrets;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Moq;

namespace Hiroi.Tests.Acs;

/// <summary>ACS cannot run here: the client runs for real down to a scripted HTTP handler at the network edge.</summary>
[Lane(Lanes.Unit)]
public class AcsRestClientTests
{
    private const string Key = "aGlyb2ktdGVzdC1hY2Nlc3Mta2V5LTAxMjM0NTY3ODk=";
    private const string Host = "contoso.communication.azure.com";
    private const string OurNumber = "+18005550100";
    private const string TheirNumber = "+15551234567";
    private const string Text = "Your appointment is tomorrow at 9";
    private static readonly Uri Endpoint = new("https://" + Host + "/");
    private static readonly Guid RepeatabilityId = Guid.Parse("fda6d242-46aa-4247-8bf6-619a1206f9c3");
    private static readonly DateTimeOffset FirstSent = new(2026, 11, 23, 11, 59, 0, TimeSpan.Zero);
    private static readonly Uri Callback = new("https://hiroi.example/api/acs/callbacks?token=abc");
    private static readonly Uri ContentLocation = new("https://us-storage.asm.skype.com/v1/objects/0-eus-d2-abc/content/audio");
    private static readonly Uri DeleteLocation = new("https://us-storage.asm.skype.com/v1/objects/0-eus-d2-abc");

    private const string SmsAccepted = """
        {"value":[{"to":"+15551234567","messageId":"Outgoing_2026112312000000_abc","httpStatusCode":202,"repeatabilityResult":"accepted","successful":true}]}
        """;

    // The 201 of CreateCall in azure-rest-api-specs (CallAutomation stable 2024-09-15, examples/CreateCall.json), with a phone target.
    private const string CallCreated = """
        {"callConnectionId":"18dea47f-b081-4107-9a5c-4300819d2c6c","serverCallId":"aHR0cHM6Ly9jb252ZXJzYXRpb251cmwvdGVzdA",
         "targets":[{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567"}}],"callConnectionState":"connecting",
         "callbackUri":"https://hiroi.example/api/acs/callbacks?token=abc","sourceCallerIdNumber":{"value":"+18005550100"},
         "correlationId":"7b2a1f3e-0000-4000-8000-000000000001"}
        """;

    private readonly ScriptedAcs _acs = new();
    private readonly InstantTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly ListLogger<AcsRestClient> _logger = new();

    private AcsRestClient Client(int maxRetries = 3, TokenCredential? entra = null, Uri? baseAddress = null)
    {
        var options = Options.Create(new AcsOptions
        {
            Endpoint = Endpoint.AbsoluteUri,
            MaxRetries = maxRetries,
            RetryBaseDelayMilliseconds = 200,
            UseEntraId = entra is not null,
        });
        var secrets = new Mock<ISecretStore>(MockBehavior.Strict);
        secrets.Setup(s => s.GetAsync(AcsOptions.AccessKeySecretName, It.IsAny<CancellationToken>())).ReturnsAsync(Key);
        var tokens = new AcsBearerTokenSource(entra ?? Mock.Of<TokenCredential>(MockBehavior.Strict), _time);
        var handler = new AcsRequestSigner(secrets.Object, options, _time, tokens) { InnerHandler = _acs };
        return new AcsRestClient(new HttpClient(handler) { BaseAddress = baseAddress ?? Endpoint }, options, _time, _logger);
    }

    private static SmsRequest Sms(string? tag = "campaign:c1:contact:k1:1") =>
        new(OurNumber, TheirNumber, Text, RepeatabilityId, FirstSent, tag);

    private static CreateCallRequest Call() =>
        new(OurNumber, TheirNumber, Callback, "campaign:c1:contact:k1:1", RepeatabilityId, FirstSent);

    /// <summary>The request carries a valid HMAC signature for <paramref name="host"/>, checked the way ACS checks it.</summary>
    private static void AssertSigned(RecordedRequest request, string host = Host, string? pathAndQuery = null) =>
        Assert.True(AcsHmac.Verify(
            request.Method.Method, pathAndQuery ?? request.Uri.PathAndQuery, host, request.Header("x-ms-date"),
            request.Header("x-ms-content-sha256"), request.Header("Authorization"), request.Body, Key));

    private void AssertNothingPersonalLeaked(params string?[] texts)
    {
        foreach (var text in texts.Concat(_logger.Lines))
        {
            Assert.DoesNotContain(TheirNumber, text ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain("5551234567", text ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain(OurNumber, text ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain("appointment", text ?? string.Empty, StringComparison.OrdinalIgnoreCase);
        }
    }

    // ---- SMS ----

    [Fact]
    public async Task SendSms_posts_the_documented_body_signed_and_maps_the_result()
    {
        _acs.Respond(HttpStatusCode.Accepted, SmsAccepted);

        var result = await Client().SendSmsAsync(Sms(), default);

        Assert.Equal(new SmsSendResult("Outgoing_2026112312000000_abc", true, 202, null), result);
        var request = Assert.Single(_acs.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://contoso.communication.azure.com/sms?api-version=2021-03-07", request.Uri.AbsoluteUri);
        Assert.Equal("application/json", request.ContentType);
        AssertSigned(request);

        var body = request.Json;
        Assert.Equal(OurNumber, body.GetProperty("from").GetString());
        Assert.Equal(Text, body.GetProperty("message").GetString());
        var recipient = Assert.Single(body.GetProperty("smsRecipients").EnumerateArray());
        Assert.Equal(TheirNumber, recipient.GetProperty("to").GetString());
        Assert.Equal("fda6d242-46aa-4247-8bf6-619a1206f9c3", recipient.GetProperty("repeatabilityRequestId").GetString());
        Assert.Equal("Mon, 23 Nov 2026 11:59:00 GMT", recipient.GetProperty("repeatabilityFirstSent").GetString());
        var sendOptions = body.GetProperty("smsSendOptions");
        Assert.True(sendOptions.GetProperty("enableDeliveryReport").GetBoolean());
        Assert.Equal("campaign:c1:contact:k1:1", sendOptions.GetProperty("tag").GetString());
        Assert.Equal(["from", "smsRecipients", "message", "smsSendOptions"], body.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task SendSms_without_a_tag_leaves_it_out()
    {
        _acs.Respond(HttpStatusCode.Accepted, SmsAccepted);

        await Client().SendSmsAsync(Sms(tag: null), default);

        Assert.False(Assert.Single(_acs.Requests).Json.GetProperty("smsSendOptions").TryGetProperty("tag", out _));
    }

    [Fact]
    public async Task A_recipient_ACS_refused_is_not_accepted_and_its_reason_is_masked()
    {
        _acs.Respond(HttpStatusCode.Accepted, """
            {"value":[{"to":"+15551234567","httpStatusCode":400,"successful":false,"errorMessage":"Invalid To phone number +15551234567."}]}
            """);

        var result = await Client().SendSmsAsync(Sms(), default);

        Assert.False(result.Accepted);
        Assert.Null(result.MessageId);
        Assert.Equal(400, result.HttpStatusCode);
        Assert.Equal("Invalid To phone number +1555****567.", result.ErrorMessage);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    public async Task SendSms_retries_a_transient_status_with_the_same_repeatability_id(HttpStatusCode status)
    {
        _acs.Respond(status).Respond(status).Respond(HttpStatusCode.Accepted, SmsAccepted);

        var result = await Client().SendSmsAsync(Sms(), default);

        Assert.True(result.Accepted);
        Assert.Equal(3, _acs.Requests.Count);
        Assert.All(_acs.Requests, r =>
        {
            var recipient = r.Json.GetProperty("smsRecipients")[0];
            Assert.Equal(RepeatabilityId.ToString(), recipient.GetProperty("repeatabilityRequestId").GetString());
            Assert.Equal("Mon, 23 Nov 2026 11:59:00 GMT", recipient.GetProperty("repeatabilityFirstSent").GetString());
            AssertSigned(r);
        });
        Assert.Equal(2, _time.Waits.Count);
    }

    [Fact]
    public async Task Each_retry_is_signed_again_with_a_fresh_date_and_Retry_After_is_honoured()
    {
        _acs.Respond(HttpStatusCode.TooManyRequests, configure: r => r.Headers.RetryAfter = new(TimeSpan.FromSeconds(7)))
            .Respond(HttpStatusCode.Accepted, SmsAccepted);

        await Client().SendSmsAsync(Sms(), default);

        var wait = Assert.Single(_time.Waits);
        Assert.Equal(TimeSpan.FromSeconds(7), wait);
        var (first, second) = (_acs.Requests[0], _acs.Requests[1]);
        Assert.Equal("Mon, 23 Nov 2026 12:00:00 GMT", first.Header("x-ms-date"));
        Assert.Equal("Mon, 23 Nov 2026 12:00:07 GMT", second.Header("x-ms-date"));
        Assert.NotEqual(first.Header("Authorization"), second.Header("Authorization"));
        AssertSigned(first);
        AssertSigned(second);
    }

    [Fact]
    public async Task SendSms_stops_after_MaxRetries_with_a_transient_error()
    {
        for (var i = 0; i < 5; i++)
        {
            _acs.Respond(HttpStatusCode.ServiceUnavailable, """{"error":{"code":"ServiceUnavailable","message":"try later"}}""");
        }

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Client(maxRetries: 2).SendSmsAsync(Sms(), default));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(3, _acs.Requests.Count);
        Assert.Single(_acs.Requests.Select(r => r.Json.GetProperty("smsRecipients")[0].GetProperty("repeatabilityRequestId").GetString()).Distinct());
        AssertNothingPersonalLeaked(error.Message);
    }

    [Fact]
    public async Task MaxRetries_zero_sends_once()
    {
        _acs.Respond(HttpStatusCode.ServiceUnavailable);

        await Assert.ThrowsAsync<HttpRequestException>(() => Client(maxRetries: 0).SendSmsAsync(Sms(), default));

        Assert.Single(_acs.Requests);
        Assert.Empty(_time.Waits);
    }

    [Fact]
    public async Task Network_errors_and_timeouts_are_retried()
    {
        _acs.Throw(new HttpRequestException("connection reset"))
            .Throw(new TaskCanceledException("timeout", new TimeoutException()))
            .Respond(HttpStatusCode.Accepted, SmsAccepted);

        var result = await Client().SendSmsAsync(Sms(), default);

        Assert.True(result.Accepted);
        Assert.Equal(3, _acs.Requests.Count);
    }

    [Fact]
    public async Task A_timeout_that_outlasts_the_retries_is_a_transient_HttpRequestException()
    {
        _acs.Throw(new TaskCanceledException("timeout", new TimeoutException()))
            .Throw(new TaskCanceledException("timeout", new TimeoutException()));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Client(maxRetries: 1).SendSmsAsync(Sms(), default));

        Assert.True(TransientFaultsAgree(error));
    }

    private static bool TransientFaultsAgree(Exception error) => Hiroi.Shared.Storage.TransientFaults.IsTransient(error);

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_retried()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        _acs.Respond(HttpStatusCode.Accepted, SmsAccepted);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client().SendSmsAsync(Sms(), cancelled.Token));

        Assert.Empty(_time.Waits);
    }

    [Fact]
    public async Task A_refusal_throws_AcsRequestException_without_numbers_or_text_and_is_not_retried()
    {
        _acs.Respond(HttpStatusCode.BadRequest, """
            {"error":{"code":"InvalidPhoneNumber","message":"The number +15551234567 cannot receive 'Your appointment is tomorrow at 9' from +18005550100"}}
            """);

        var error = await Assert.ThrowsAsync<AcsRequestException>(() => Client().SendSmsAsync(Sms(), default));

        Assert.Equal(400, error.Status);
        Assert.Equal("ACS SendSms failed with 400 (InvalidPhoneNumber).", error.Message);
        Assert.Single(_acs.Requests);
        AssertNothingPersonalLeaked(error.Message, error.ToString());
    }

    [Theory]
    [InlineData("Bad code +15551234567 <script>")]
    [InlineData("Number15551234567")]
    [InlineData("15551234567")]
    public async Task An_error_code_that_could_hold_personal_data_is_left_out(string code)
    {
        _acs.Respond(HttpStatusCode.Forbidden, $$$"""{"error":{"code":"{{{code}}}","message":"x"}}""");

        var error = await Assert.ThrowsAsync<AcsRequestException>(() => Client().SendSmsAsync(Sms(), default));

        Assert.Equal(403, error.Status);
        Assert.Equal("ACS SendSms failed with 403.", error.Message);
        AssertNothingPersonalLeaked(error.Message);
    }

    [Theory]
    [InlineData("8522")]
    [InlineData("Forbidden")]
    [InlineData("Sms.InvalidRecipient-2")]
    public async Task A_plain_error_code_is_kept(string code)
    {
        _acs.Respond(HttpStatusCode.Forbidden, $$$"""{"error":{"code":"{{{code}}}","message":"x"}}""");

        var error = await Assert.ThrowsAsync<AcsRequestException>(() => Client().SendSmsAsync(Sms(), default));

        Assert.Equal($"ACS SendSms failed with 403 ({code}).", error.Message);
    }

    [Fact]
    public async Task Retries_log_the_operation_and_status_but_never_numbers_or_text()
    {
        _acs.Respond(HttpStatusCode.ServiceUnavailable).Respond(HttpStatusCode.Accepted, SmsAccepted);

        await Client().SendSmsAsync(Sms(), default);

        var line = Assert.Single(_logger.Lines);
        Assert.Contains("SendSms", line, StringComparison.Ordinal);
        Assert.Contains("503", line, StringComparison.Ordinal);
        AssertNothingPersonalLeaked();
    }

    // ---- Calls ----

    [Fact]
    public async Task CreateCall_posts_targets_caller_id_and_callback_with_repeatability_headers()
    {
        _acs.Respond(HttpStatusCode.Created, CallCreated);

        var call = await Client().CreateCallAsync(Call(), default);

        Assert.Equal(
            new CallConnection("18dea47f-b081-4107-9a5c-4300819d2c6c", "aHR0cHM6Ly9jb252ZXJzYXRpb251cmwvdGVzdA", "7b2a1f3e-0000-4000-8000-000000000001"),
            call);
        var request = Assert.Single(_acs.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://contoso.communication.azure.com/calling/callConnections?api-version=2025-05-15", request.Uri.AbsoluteUri);
        Assert.Equal("fda6d242-46aa-4247-8bf6-619a1206f9c3", request.Header("Repeatability-Request-ID"));
        Assert.Equal("Mon, 23 Nov 2026 11:59:00 GMT", request.Header("Repeatability-First-Sent"));
        AssertSigned(request);

        var body = request.Json;
        var target = Assert.Single(body.GetProperty("targets").EnumerateArray());
        Assert.Equal("phoneNumber", target.GetProperty("kind").GetString());
        Assert.Equal(TheirNumber, target.GetProperty("phoneNumber").GetProperty("value").GetString());
        Assert.Equal(OurNumber, body.GetProperty("sourceCallerIdNumber").GetProperty("value").GetString());
        Assert.Equal(Callback.AbsoluteUri, body.GetProperty("callbackUri").GetString());
        Assert.Equal("campaign:c1:contact:k1:1", body.GetProperty("operationContext").GetString());
    }

    [Fact]
    public async Task CreateCall_retries_reuse_the_same_repeatability_headers()
    {
        _acs.Respond(HttpStatusCode.InternalServerError).Throw(new HttpRequestException("reset")).Respond(HttpStatusCode.Created, CallCreated);

        await Client().CreateCallAsync(Call(), default);

        Assert.Equal(3, _acs.Requests.Count);
        Assert.All(_acs.Requests, r =>
        {
            Assert.Equal(RepeatabilityId.ToString(), r.Header("Repeatability-Request-ID"));
            Assert.Equal("Mon, 23 Nov 2026 11:59:00 GMT", r.Header("Repeatability-First-Sent"));
        });
    }

    [Fact]
    public async Task A_call_answered_without_a_connection_id_is_an_error()
    {
        _acs.Respond(HttpStatusCode.Created, """{"serverCallId":"x"}""");

        await Assert.ThrowsAsync<AcsRequestException>(() => Client().CreateCallAsync(Call(), default));
    }

    [Fact]
    public async Task AnswerCall_posts_the_incoming_call_context_and_callback()
    {
        _acs.Respond(HttpStatusCode.OK, """{"callConnectionId":"c-1","serverCallId":"s-1","callConnectionState":"connecting"}""");

        var call = await Client().AnswerCallAsync(new AnswerCallRequest("H4sIAAAA-context", Callback, "inbound:org_1"), default);

        Assert.Equal(new CallConnection("c-1", "s-1", null), call);
        var request = Assert.Single(_acs.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://contoso.communication.azure.com/calling/callConnections:answer?api-version=2025-05-15", request.Uri.AbsoluteUri);
        Assert.Null(request.Header("Repeatability-Request-ID"));
        AssertSigned(request);
        Assert.Equal(
            """{"incomingCallContext":"H4sIAAAA-context","callbackUri":"https://hiroi.example/api/acs/callbacks?token=abc","operationContext":"inbound:org_1"}""",
            request.BodyText);
    }

    [Fact]
    public async Task AnswerCall_for_a_realtime_call_asks_for_bidirectional_24_khz_mixed_audio_on_the_transport_url()
    {
        _acs.Respond(HttpStatusCode.OK, """{"callConnectionId":"c-1","serverCallId":"s-1","callConnectionState":"connecting"}""");
        var transport = new Uri("wss://ca-hiroi.example/api/calls/media?token=m1.abc");

        await Client().AnswerCallAsync(
            new AnswerCallRequest("ctx", Callback, "call_1", new Uri("https://speech.example/"), new MediaStreamingRequest(transport, EnableDtmf: true)), default);

        var media = Assert.Single(_acs.Requests).Json.GetProperty("mediaStreamingOptions");
        Assert.Equal(
            """{"transportType":"websocket","transportUrl":"wss://ca-hiroi.example/"""
            + """api/calls/media?token=m1.abc","audioChannelType":"mixed","contentType":"audio","startMediaStreaming":"""
            + """true,"enableBidirectional":true,"audioFormat":"pcm24KMono","enableDtmfTones":true}""",
            media.GetRawText());
    }

    [Fact]
    public async Task AnswerCall_is_not_retried()
    {
        _acs.Respond(HttpStatusCode.ServiceUnavailable).Respond(HttpStatusCode.OK, """{"callConnectionId":"c-1"}""");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Client().AnswerCallAsync(new AnswerCallRequest("ctx", Callback, null), default));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Single(_acs.Requests);
        Assert.Empty(_time.Waits);
    }

    [Fact]
    public async Task AnswerCall_is_not_retried_after_a_network_error_either()
    {
        _acs.Throw(new HttpRequestException("reset"));

        await Assert.ThrowsAsync<HttpRequestException>(() => Client().AnswerCallAsync(new AnswerCallRequest("ctx", Callback, null), default));

        Assert.Single(_acs.Requests);
    }

    [Fact]
    public async Task RejectCall_posts_busy_and_is_not_retried()
    {
        _acs.Respond(HttpStatusCode.NoContent);

        await Client().RejectCallAsync("H4sIAAAA-context", default);

        var request = Assert.Single(_acs.Requests);
        Assert.Equal("https://contoso.communication.azure.com/calling/callConnections:reject?api-version=2025-05-15", request.Uri.AbsoluteUri);
        Assert.Equal("""{"incomingCallContext":"H4sIAAAA-context","callRejectReason":"busy"}""", request.BodyText);
        AssertSigned(request);

        _acs.Respond(HttpStatusCode.InternalServerError);
        await Assert.ThrowsAsync<HttpRequestException>(() => Client().RejectCallAsync("ctx", default));
        Assert.Equal(2, _acs.Requests.Count);
    }

    [Fact]
    public async Task HangUp_terminates_for_everyone_with_an_empty_signed_body()
    {
        _acs.Respond(HttpStatusCode.NoContent);

        await Client().HangUpAsync("18dea47f-b081-4107-9a5c-4300819d2c6c", default);

        var request = Assert.Single(_acs.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(
            "https://contoso.communication.azure.com/calling/callConnections/18dea47f-b081-4107-9a5c-4300819d2c6c:terminate?api-version=2025-05-15",
            request.Uri.AbsoluteUri);
        Assert.Empty(request.Body);
        Assert.Equal("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", request.Header("x-ms-content-sha256"));
        Assert.True(Guid.TryParse(request.Header("Repeatability-Request-ID"), out _));
        AssertSigned(request);
    }

    [Fact]
    public async Task Hanging_up_a_call_that_already_ended_is_not_an_error()
    {
        _acs.Respond(HttpStatusCode.NotFound, """{"error":{"code":"8522","message":"Call not found"}}""");

        await Client().HangUpAsync("gone", default);

        Assert.Single(_acs.Requests);
    }

    [Fact]
    public async Task HangUp_is_retried_with_one_repeatability_id()
    {
        _acs.Respond(HttpStatusCode.ServiceUnavailable).Respond(HttpStatusCode.NoContent);

        await Client().HangUpAsync("c-1", default);

        Assert.Equal(2, _acs.Requests.Count);
        Assert.Single(_acs.Requests.Select(r => r.Header("Repeatability-Request-ID")).Distinct());
    }

    // ---- Recordings ----

    [Fact]
    public async Task StartRecording_asks_for_mixed_audio_wav_on_the_server_call()
    {
        _acs.Respond(HttpStatusCode.OK, """{"recordingId":"rec-1","recordingState":"active","recordingKind":"azureCommunicationServices"}""");

        var recordingId = await Client().StartRecordingAsync("aHR0cHM6Ly9za3lwZS5uZXQ=", new Uri("https://hiroi.example/api/acs/recording"), default);

        Assert.Equal("rec-1", recordingId);
        var request = Assert.Single(_acs.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://contoso.communication.azure.com/calling/recordings?api-version=2025-05-15", request.Uri.AbsoluteUri);
        AssertSigned(request);
        Assert.Equal(
            """{"callLocator":{"kind":"serverCallLocator","serverCallId":"aHR0cHM6Ly9za3lwZS5uZXQ="},"recordingStateCallbackUri":"https://hiroi.example/"""
            + """api/acs/recording","recordingContentType":"audio","recordingChannelType":"mixed","recordingFormatType":"wav"}""",
            request.BodyText);
    }

    [Fact]
    public async Task StartRecording_is_not_retried()
    {
        _acs.Respond(HttpStatusCode.BadGateway);

        await Assert.ThrowsAsync<HttpRequestException>(() => Client().StartRecordingAsync("s", null, default));

        Assert.Single(_acs.Requests);
        Assert.False(_acs.Requests[0].Json.TryGetProperty("recordingStateCallbackUri", out _));
    }

    [Fact]
    public async Task DownloadRecording_streams_the_bytes_signed_for_the_ACS_resource()
    {
        var audio = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        _acs.RespondWith(() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new MemoryStream(audio)) });
        using var destination = new MemoryStream();

        await Client().DownloadRecordingAsync(ContentLocation, destination, default);

        Assert.Equal(audio, destination.ToArray());
        var request = Assert.Single(_acs.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal(ContentLocation, request.Uri);
        Assert.Equal(Host, request.Header("x-ms-host"));
        AssertSigned(request, host: Host, pathAndQuery: ContentLocation.AbsolutePath);
    }

    [Fact]
    public async Task DownloadRecording_is_retried_and_a_broken_body_starts_the_file_again()
    {
        var audio = RandomNumberGenerator.GetBytes(64 * 1024);
        _acs.Respond(HttpStatusCode.ServiceUnavailable)
            .RespondWith(() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new BreakingStream(audio, breakAfter: 1000)) })
            .RespondWith(() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new MemoryStream(audio)) });
        using var destination = new MemoryStream();
        destination.Write([1, 2, 3]);

        await Client().DownloadRecordingAsync(ContentLocation, destination, default);

        Assert.Equal([1, 2, 3, .. audio], destination.ToArray());
        Assert.Equal(3, _acs.Requests.Count);
    }

    [Fact]
    public async Task DeleteRecording_deletes_the_location_and_already_gone_is_fine()
    {
        _acs.Respond(HttpStatusCode.OK).Respond(HttpStatusCode.NotFound);

        await Client().DeleteRecordingAsync(DeleteLocation, default);
        await Client().DeleteRecordingAsync(DeleteLocation, default);

        Assert.Equal(2, _acs.Requests.Count);
        Assert.All(_acs.Requests, r =>
        {
            Assert.Equal(HttpMethod.Delete, r.Method);
            Assert.Equal(DeleteLocation, r.Uri);
            AssertSigned(r, host: Host, pathAndQuery: DeleteLocation.AbsolutePath);
        });
    }

    [Fact]
    public async Task DeleteRecording_is_retried()
    {
        _acs.Respond(HttpStatusCode.TooManyRequests).Respond(HttpStatusCode.InternalServerError).Respond(HttpStatusCode.OK);

        await Client().DeleteRecordingAsync(DeleteLocation, default);

        Assert.Equal(3, _acs.Requests.Count);
    }

    [Theory]
    [InlineData("https://attacker.example/v1/objects/x")]
    [InlineData("http://us-storage.asm.skype.com/v1/objects/x")]
    [InlineData("https://asm.skype.com.attacker.example/v1/objects/x")]
    [InlineData("https://contoso.communication.azure.com.attacker.example/x")]
    public async Task Credentials_never_go_to_a_location_off_ACS(string location)
    {
        using var destination = new MemoryStream();

        await Assert.ThrowsAsync<ArgumentException>(() => Client().DownloadRecordingAsync(new Uri(location), destination, default));
        await Assert.ThrowsAsync<ArgumentException>(() => Client().DeleteRecordingAsync(new Uri(location), default));

        Assert.Empty(_acs.Requests);
    }

    [Fact]
    public async Task A_location_on_the_resource_itself_is_signed_as_a_normal_request()
    {
        _acs.Respond(HttpStatusCode.OK);

        await Client().DeleteRecordingAsync(new Uri("https://contoso.communication.azure.com/recordings/r1?x=1"), default);

        var request = Assert.Single(_acs.Requests);
        Assert.Null(request.Header("x-ms-host"));
        AssertSigned(request);
    }

    // ---- Configuration and Entra ID ----

    [Fact]
    public async Task Without_an_endpoint_the_client_names_the_missing_setting()
    {
        var options = Options.Create(new AcsOptions());
        var client = new AcsRestClient(new HttpClient(_acs), options, _time, _logger);

        var error = await Assert.ThrowsAsync<SettingException>(() => client.SendSmsAsync(Sms(), default));

        Assert.Contains("Hiroi__Acs__Endpoint", error.Message, StringComparison.Ordinal);
        Assert.Empty(_acs.Requests);
    }

    [Fact]
    public async Task With_Entra_ID_requests_carry_a_cached_bearer_token_for_the_ACS_scope()
    {
        var credential = new Mock<TokenCredential>(MockBehavior.Strict);
        credential.Setup(c => c.GetTokenAsync(
                It.Is<TokenRequestContext>(t => t.Scopes.SequenceEqual(new[] { "https://communication.azure.com//.default" })),
                It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AccessToken("entra-token", _time.GetUtcNow().AddHours(1)));
        _acs.Respond(HttpStatusCode.Accepted, SmsAccepted).Respond(HttpStatusCode.NoContent);
        var client = Client(entra: credential.Object);

        await client.SendSmsAsync(Sms(), default);
        await client.HangUpAsync("c-1", default);

        Assert.All(_acs.Requests, r =>
        {
            Assert.Equal("Bearer entra-token", r.Header("Authorization"));
            Assert.Null(r.Header("x-ms-content-sha256"));
        });
        credential.Verify(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task An_Entra_token_close_to_expiry_is_renewed()
    {
        var credential = new Mock<TokenCredential>(MockBehavior.Strict);
        credential.SetupSequence(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AccessToken("first", _time.GetUtcNow().AddMinutes(4)))
            .ReturnsAsync(new AccessToken("second", _time.GetUtcNow().AddHours(1)));
        var tokens = new AcsBearerTokenSource(credential.Object, _time);

        Assert.Equal("first", await tokens.GetTokenAsync(default));
        Assert.Equal("second", await tokens.GetTokenAsync(default));
        Assert.Equal("second", await tokens.GetTokenAsync(default));
    }

    // ---- Back-off ----

    [Fact]
    public async Task Without_Retry_After_the_waits_grow_from_the_base_delay_and_stay_under_the_cap()
    {
        for (var i = 0; i < 10; i++)
        {
            _acs.Respond(HttpStatusCode.ServiceUnavailable);
        }

        _acs.Respond(HttpStatusCode.Accepted, SmsAccepted);

        await Client(maxRetries: 10).SendSmsAsync(Sms(), default);

        Assert.Equal(10, _time.Waits.Count);
        Assert.All(_time.Waits, w => Assert.InRange(w, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(30)));
        // Ten waits of the 200 ms base would be 2 s: an exponential back-off waits far longer in all.
        Assert.True(_time.Waits.Sum(w => w.TotalSeconds) > 4, string.Join(", ", _time.Waits));
    }

    [Fact]
    public async Task A_Retry_After_beyond_a_minute_waits_a_minute()
    {
        _acs.Respond(HttpStatusCode.TooManyRequests, configure: r => r.Headers.RetryAfter = new(TimeSpan.FromHours(1)))
            .Respond(HttpStatusCode.Accepted, SmsAccepted);

        await Client().SendSmsAsync(Sms(), default);

        Assert.Equal(TimeSpan.FromSeconds(60), Assert.Single(_time.Waits));
    }

    [Fact]
    public async Task A_Retry_After_date_is_honoured_too()
    {
        _acs.Respond(HttpStatusCode.ServiceUnavailable, configure: r => r.Headers.RetryAfter = new(_time.GetUtcNow().AddSeconds(12)))
            .Respond(HttpStatusCode.Accepted, SmsAccepted);

        await Client().SendSmsAsync(Sms(), default);

        Assert.Equal(TimeSpan.FromSeconds(12), Assert.Single(_time.Waits));
    }

    /// <summary>Serves some bytes, then fails the way a dropped connection does.</summary>
    private sealed class BreakingStream(byte[] data, int breakAfter) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= breakAfter)
            {
                throw new HttpIOException(HttpRequestError.ResponseEnded, "connection dropped");
            }

            return base.Read(buffer, offset, Math.Min(count, breakAfter - (int)Position));
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= breakAfter)
            {
                throw new HttpIOException(HttpRequestError.ResponseEnded, "connection dropped");
            }

            return base.ReadAsync(buffer[..Math.Min(buffer.Length, breakAfter - (int)Position)], cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
