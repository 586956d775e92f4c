using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Hiroi.Shared.Acs;

/// <summary>
/// <see cref="IAcsClient"/> over the documented ACS REST API: SMS (<c>POST /sms</c>) and Call Automation
/// (<c>/calling/callConnections</c>, <c>/calling/recordings</c>). Requests are authenticated by <see cref="AcsRequestSigner"/>.
/// Idempotent operations (SMS and create call, which carry repeatability ids; hang-up; recording download and delete) are
/// retried as <see cref="AcsRetry"/> says (408, 429, 5xx, network errors and timeouts; back-off, jitter, <c>Retry-After</c>);
/// answer, reject and start recording are sent once. Phone numbers and message text are never logged nor put in exceptions.
/// </summary>
public sealed partial class AcsRestClient : IAcsClient
{
    private readonly HttpClient _http;
    private readonly AcsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AcsRestClient> _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _retrying;

    public AcsRestClient(HttpClient http, IOptions<AcsOptions> options, TimeProvider time, ILogger<AcsRestClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _options = options.Value;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _retrying = AcsRetry.ForResponses(_options, _time, _logger);
    }

    public async Task<SmsSendResult> SendSmsAsync(SmsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = Serialize(
            new SendSmsBody(
                request.From,
                [new SmsRecipientBody(request.To, request.RepeatabilityId.ToString("D"), AcsHmac.FormatDate(request.RepeatabilityFirstSent))],
                request.Message,
                new SmsSendOptionsBody(EnableDeliveryReport: true, request.Tag)),
            AcsJsonContext.Default.SendSmsBody);
        var uri = Resource("/sms", _options.SmsApiVersion);

        using var response = await SendAsync(
            "SendSms", () => Post(uri, body), retry: true, notFoundIsSuccess: false, HttpCompletionOption.ResponseContentRead, cancellationToken,
            request.WaitOutThrottling).ConfigureAwait(false);
        var result = await ReadAsync(response, AcsJsonContext.Default.SmsSendResponse, cancellationToken).ConfigureAwait(false);
        var item = result?.Value is [var first, ..] ? first : throw Malformed("SendSms", response, "no per-recipient result");
        return new SmsSendResult(
            item.MessageId,
            item.Successful,
            item.HttpStatusCode,
            item.ErrorMessage is null ? null : PersonalDataRedactor.Redact(item.ErrorMessage));
    }

    public async Task<string> SendEmailAsync(EmailRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = Serialize(
            new SendEmailBody(
                request.SenderAddress,
                new EmailContentBody(request.Subject, request.PlainText),
                new EmailRecipientsBody([new EmailAddressBody(request.To)])),
            AcsJsonContext.Default.SendEmailBody);
        var uri = Resource("/emails:send", _options.EmailApiVersion);

        using var response = await SendAsync(
            "SendEmail",
            () => Post(uri, body, request.RepeatabilityId, request.RepeatabilityFirstSent),
            retry: true,
            notFoundIsSuccess: false,
            HttpCompletionOption.ResponseContentRead,
            cancellationToken).ConfigureAwait(false);
        var result = await ReadAsync(response, AcsJsonContext.Default.EmailSendResponse, cancellationToken).ConfigureAwait(false);
        return result?.Id ?? throw Malformed("SendEmail", response, "no operation id");
    }

    public async Task<CallConnection> CreateCallAsync(CreateCallRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.CallbackUri);
        var body = Serialize(
            new CreateCallBody(
                [new CommunicationIdentifierBody("phoneNumber", new PhoneNumberBody(request.To))],
                new PhoneNumberBody(request.From),
                request.CallbackUri.AbsoluteUri,
                request.OperationContext,
                request.CognitiveServicesEndpoint is { } speech ? new CallIntelligenceOptionsBody(speech.AbsoluteUri) : null),
            AcsJsonContext.Default.CreateCallBody);
        var uri = Resource("/calling/callConnections", _options.CallAutomationApiVersion);

        using var response = await SendAsync(
            "CreateCall",
            () => Post(uri, body, request.RepeatabilityId, request.RepeatabilityFirstSent),
            retry: true,
            notFoundIsSuccess: false,
            HttpCompletionOption.ResponseContentRead,
            cancellationToken).ConfigureAwait(false);
        return await ReadCallConnectionAsync("CreateCall", response, cancellationToken).ConfigureAwait(false);
    }

    public async Task<CallConnection> AnswerCallAsync(AnswerCallRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.IncomingCallContext);
        var body = Serialize(
            new AnswerCallBody(
                request.IncomingCallContext, request.CallbackUri.AbsoluteUri, request.OperationContext,
                request.CognitiveServicesEndpoint is { } speech ? new CallIntelligenceOptionsBody(speech.AbsoluteUri) : null,
                request.MediaStreaming is { } media
                    ? new MediaStreamingOptionsBody("websocket", media.TransportUrl.AbsoluteUri, "mixed", "audio", StartMediaStreaming: true, EnableBidirectional: true,
                        "pcm24KMono", media.EnableDtmf)
                    : null),
            AcsJsonContext.Default.AnswerCallBody);
        var uri = Resource("/calling/callConnections:answer", _options.CallAutomationApiVersion);

        using var response = await SendAsync(
            "AnswerCall", () => Post(uri, body), retry: false, notFoundIsSuccess: false, HttpCompletionOption.ResponseContentRead, cancellationToken)
            .ConfigureAwait(false);
        return await ReadCallConnectionAsync("AnswerCall", response, cancellationToken).ConfigureAwait(false);
    }

    public async Task RejectCallAsync(string incomingCallContext, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(incomingCallContext);
        var body = Serialize(new RejectCallBody(incomingCallContext, "busy"), AcsJsonContext.Default.RejectCallBody);
        var uri = Resource("/calling/callConnections:reject", _options.CallAutomationApiVersion);

        using var response = await SendAsync(
            "RejectCall", () => Post(uri, body), retry: false, notFoundIsSuccess: false, HttpCompletionOption.ResponseContentRead, cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task HangUpAsync(string callConnectionId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callConnectionId);
        var uri = Resource($"/calling/callConnections/{Uri.EscapeDataString(callConnectionId)}:terminate", _options.CallAutomationApiVersion);

        // Terminate takes repeatability headers too: one id for this hang-up, reused by its retries.
        var repeatabilityId = Guid.NewGuid();
        var firstSent = _time.GetUtcNow();
        using var response = await SendAsync(
            "HangUp",
            () => Post(uri, body: null, repeatabilityId, firstSent),
            retry: true,
            notFoundIsSuccess: true,
            HttpCompletionOption.ResponseContentRead,
            cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            _logger.LogInformation("ACS HangUp: call connection {CallConnectionId} had already ended", callConnectionId);
        }
    }

    public async Task<string> StartRecordingAsync(string serverCallId, Uri? stateCallbackUri, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverCallId);
        var body = Serialize(
            new StartRecordingBody(
                new CallLocatorBody("serverCallLocator", serverCallId),
                stateCallbackUri?.AbsoluteUri,
                RecordingContentType: "audio",
                RecordingChannelType: "mixed",
                RecordingFormatType: "wav"),
            AcsJsonContext.Default.StartRecordingBody);
        var uri = Resource("/calling/recordings", _options.CallAutomationApiVersion);

        using var response = await SendAsync(
            "StartRecording", () => Post(uri, body), retry: false, notFoundIsSuccess: false, HttpCompletionOption.ResponseContentRead, cancellationToken)
            .ConfigureAwait(false);
        var state = await ReadAsync(response, AcsJsonContext.Default.RecordingStateResponse, cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(state?.RecordingId) ? throw Malformed("StartRecording", response, "no recordingId") : state.RecordingId;
    }

    public async Task DownloadRecordingAsync(Uri contentLocation, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var location = CheckLocation(contentLocation, nameof(contentLocation));
        var start = destination.CanSeek ? destination.Position : -1;
        // A body that breaks mid-read is fetched again from the start, when the destination can be rewound to where it stood.
        var bodies = start < 0
            ? ResiliencePipeline.Empty
            : AcsRetry.ForBrokenBodies(_options, _time, _logger, () =>
            {
                destination.Position = start;
                destination.SetLength(start);
            });
        var download = ResilienceContextPool.Shared.Get("DownloadRecording", cancellationToken);
        try
        {
            await bodies.ExecuteAsync(
                async context =>
                {
                    context.Properties.Set(AcsRetry.ReadingBody, false);
                    using var response = await SendAsync(
                        "DownloadRecording",
                        () => new HttpRequestMessage(HttpMethod.Get, location),
                        retry: true,
                        notFoundIsSuccess: false,
                        HttpCompletionOption.ResponseHeadersRead,
                        context.CancellationToken).ConfigureAwait(false);
                    context.Properties.Set(AcsRetry.ReadingBody, true);
                    var body = await response.Content.ReadAsStreamAsync(context.CancellationToken).ConfigureAwait(false);
                    await using (body.ConfigureAwait(false))
                    {
                        await body.CopyToAsync(destination, context.CancellationToken).ConfigureAwait(false);
                    }
                },
                download).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(download);
        }
    }

    public async Task DeleteRecordingAsync(Uri deleteLocation, CancellationToken cancellationToken)
    {
        var location = CheckLocation(deleteLocation, nameof(deleteLocation));
        using var response = await SendAsync(
            "DeleteRecording",
            () => new HttpRequestMessage(HttpMethod.Delete, location),
            retry: true,
            notFoundIsSuccess: true,
            HttpCompletionOption.ResponseContentRead,
            cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            _logger.LogInformation("ACS DeleteRecording: the recording was already gone");
        }
    }

    /// <summary>
    /// Sends a fresh request from <paramref name="create"/> per attempt (each is authenticated anew by the handler) and
    /// returns the successful response; the caller disposes it. A refusal a retry cannot fix is an
    /// <see cref="AcsRequestException"/>; a transient fault that outlasts the retries is an <see cref="HttpRequestException"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(
        string operation,
        Func<HttpRequestMessage> create,
        bool retry,
        bool notFoundIsSuccess,
        HttpCompletionOption completion,
        CancellationToken cancellationToken,
        bool waitOutThrottling = true)
    {
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        context.Properties.Set(AcsRetry.WaitOutThrottling, waitOutThrottling);
        HttpResponseMessage response;
        try
        {
            response = await (retry ? _retrying : ResiliencePipeline<HttpResponseMessage>.Empty).ExecuteAsync(
                static async (context, state) =>
                {
                    using var request = state.Create();
                    return await state.Http.SendAsync(request, state.Completion, context.CancellationToken).ConfigureAwait(false);
                },
                context,
                (Http: _http, Create: create, Completion: completion)).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's timeout, not our caller cancelling.
            throw new HttpRequestException(HttpRequestError.Unknown, $"ACS {operation} timed out.", e);
        }
        catch (TimeoutRejectedException e)
        {
            // The last attempt outlasted AcsOptions.AttemptTimeoutMilliseconds.
            throw new HttpRequestException(HttpRequestError.Unknown, $"ACS {operation} timed out.", new TimeoutException(e.Message, e));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (response.IsSuccessStatusCode || (notFoundIsSuccess && response.StatusCode == HttpStatusCode.NotFound))
        {
            return response;
        }

        using (response)
        {
            var status = response.StatusCode;
            var code = await ReadErrorCodeAsync(response, cancellationToken).ConfigureAwait(false);
            var message = $"ACS {operation} failed with {(int)status}{(code is null ? string.Empty : $" ({code})")}.";
            _logger.LogWarning("ACS {Operation} failed with {Status} {ErrorCode}", operation, (int)status, code);
            if (status == HttpStatusCode.TooManyRequests)
            {
                throw new AcsThrottledException(message, AcsRetry.RetryAfter(response, _time));
            }

            if (AcsRetry.IsTransient(status))
            {
                throw new HttpRequestException(message, inner: null, status);
            }

            throw new AcsRequestException((int)status, message);
        }
    }

    private Uri Endpoint => _http.BaseAddress ?? throw new SettingException(AcsOptions.Section + ":Endpoint", "is not set");

    private Uri Resource(string path, string apiVersion) =>
        new(Endpoint, path + "?api-version=" + Uri.EscapeDataString(apiVersion));

    /// <summary>A recording location from an event must be the ACS resource or an ACS recording host before credentials go there.</summary>
    private Uri CheckLocation(Uri? location, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(location, parameterName);
        if (!AcsRequestSigner.IsTrustedTarget(location, Endpoint))
        {
            throw new ArgumentException("The location is not on the ACS resource nor on an ACS recording host.", parameterName);
        }

        return location;
    }

    private static HttpRequestMessage Post(Uri uri, byte[]? body, Guid? repeatabilityId = null, DateTimeOffset? firstSent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (repeatabilityId is { } id && firstSent is { } sent)
        {
            request.Headers.TryAddWithoutValidation("Repeatability-Request-ID", id.ToString("D"));
            request.Headers.TryAddWithoutValidation("Repeatability-First-Sent", AcsHmac.FormatDate(sent));
        }

        return request;
    }

    private static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToUtf8Bytes(value, type);

    private static async Task<T?> ReadAsync<T>(
        HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static async Task<CallConnection> ReadCallConnectionAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var properties = await ReadAsync(response, AcsJsonContext.Default.CallConnectionProperties, cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(properties?.CallConnectionId)
            ? throw Malformed(operation, response, "no callConnectionId")
            : new CallConnection(properties.CallConnectionId, properties.ServerCallId, properties.CorrelationId);
    }

    private static AcsRequestException Malformed(string operation, HttpResponseMessage response, string problem) =>
        new((int)response.StatusCode, $"ACS {operation} answered {(int)response.StatusCode} with {problem}.");

    /// <summary>
    /// ACS's error code (<c>{"error":{"code":...}}</c>), reduced to a safe token. The error message is left out: it may
    /// repeat a phone number or the text of the request.
    /// </summary>
    private static async Task<string?> ReadErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var error = await ReadAsync(response, AcsJsonContext.Default.CommunicationErrorResponse, cancellationToken).ConfigureAwait(false);
        var code = error?.Error?.Code;
        return code is not null && SafeErrorCode().IsMatch(code) ? code : null;
    }

    /// <summary>A word such as <c>InvalidPhoneNumber</c> or a short number such as <c>8522</c>; nothing that could hold a phone number.</summary>
    [GeneratedRegex(@"^(?:[A-Za-z](?:[A-Za-z._-]|\d(?!\d{5})){0,63}|\d{1,6})\z")]
    private static partial Regex SafeErrorCode();
}

// Wire shapes of the ACS REST API (SMS 2021-03-07; Call Automation 2025-05-15 and common 2023-11-15).

internal sealed record SendSmsBody(string From, IReadOnlyList<SmsRecipientBody> SmsRecipients, string Message, SmsSendOptionsBody SmsSendOptions);

internal sealed record SmsRecipientBody(string To, string RepeatabilityRequestId, string RepeatabilityFirstSent);

internal sealed record SmsSendOptionsBody(bool EnableDeliveryReport, string? Tag);

internal sealed record SmsSendResponse(IReadOnlyList<SmsSendResponseItem>? Value);

internal sealed record SmsSendResponseItem(
    string? To, string? MessageId, int HttpStatusCode, string? RepeatabilityResult, bool Successful, string? ErrorMessage);

internal sealed record SendEmailBody(string SenderAddress, EmailContentBody Content, EmailRecipientsBody Recipients);

internal sealed record EmailContentBody(string Subject, string PlainText);

internal sealed record EmailRecipientsBody(IReadOnlyList<EmailAddressBody> To);

internal sealed record EmailAddressBody(string Address);

internal sealed record EmailSendResponse(string? Id, string? Status);

internal sealed record PhoneNumberBody(string Value);

internal sealed record CommunicationIdentifierBody(string Kind, PhoneNumberBody PhoneNumber);

internal sealed record CreateCallBody(
    IReadOnlyList<CommunicationIdentifierBody> Targets, PhoneNumberBody SourceCallerIdNumber, string CallbackUri, string? OperationContext,
    CallIntelligenceOptionsBody? CallIntelligenceOptions);

internal sealed record AnswerCallBody(
    string IncomingCallContext, string CallbackUri, string? OperationContext, CallIntelligenceOptionsBody? CallIntelligenceOptions,
    MediaStreamingOptionsBody? MediaStreamingOptions);

internal sealed record RejectCallBody(string IncomingCallContext, string CallRejectReason);

internal sealed record CallConnectionProperties(string? CallConnectionId, string? ServerCallId, string? CorrelationId);

internal sealed record CallLocatorBody(string Kind, string ServerCallId);

internal sealed record StartRecordingBody(
    CallLocatorBody CallLocator, string? RecordingStateCallbackUri, string RecordingContentType, string RecordingChannelType, string RecordingFormatType);

internal sealed record RecordingStateResponse(string? RecordingId, string? RecordingState);

internal sealed record CommunicationErrorResponse(CommunicationError? Error);

internal sealed record CommunicationError(string? Code, string? Message);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SendSmsBody))]
[JsonSerializable(typeof(SmsSendResponse))]
[JsonSerializable(typeof(SendEmailBody))]
[JsonSerializable(typeof(EmailSendResponse))]
[JsonSerializable(typeof(CreateCallBody))]
[JsonSerializable(typeof(AnswerCallBody))]
[JsonSerializable(typeof(RejectCallBody))]
[JsonSerializable(typeof(CallConnectionProperties))]
[JsonSerializable(typeof(StartRecordingBody))]
[JsonSerializable(typeof(RecordingStateResponse))]
[JsonSerializable(typeof(CommunicationErrorResponse))]
internal sealed partial class AcsJsonContext : JsonSerializerContext;
