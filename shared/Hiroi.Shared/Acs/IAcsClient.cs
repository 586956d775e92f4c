namespace Hiroi.Shared.Acs;

/// <summary>
/// Azure Communication Services, reached through its documented REST API (the SDK packages cannot be restored here).
/// One implementation (<c>AcsRestClient</c>) signs requests with HMAC-SHA256 or an Entra token; the SDK can replace it
/// later behind this interface.
/// </summary>
public interface IAcsClient
{
    /// <summary>Sends one SMS. Idempotent through <see cref="SmsRequest.RepeatabilityId"/> (ACS repeatability headers).</summary>
    Task<SmsSendResult> SendSmsAsync(SmsRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Sends one email through ACS Email (<c>POST /emails:send</c>). Idempotent through
    /// <see cref="EmailRequest.RepeatabilityId"/>. Returns ACS's operation id. The address and content are never logged.
    /// </summary>
    Task<string> SendEmailAsync(EmailRequest request, CancellationToken cancellationToken);

    /// <summary>Places an outbound call. Idempotent through <see cref="CreateCallRequest.RepeatabilityId"/>.</summary>
    Task<CallConnection> CreateCallAsync(CreateCallRequest request, CancellationToken cancellationToken);

    /// <summary>Answers an incoming call; ACS then posts the call's events to the request's callback URI.</summary>
    Task<CallConnection> AnswerCallAsync(AnswerCallRequest request, CancellationToken cancellationToken);

    /// <summary>Rejects an incoming call (no org owns the number, or policy says no).</summary>
    Task RejectCallAsync(string incomingCallContext, CancellationToken cancellationToken);

    /// <summary>Hangs up for everyone. Hanging up a call that already ended is not an error.</summary>
    Task HangUpAsync(string callConnectionId, CancellationToken cancellationToken);

    /// <summary>
    /// Plays the prompts, then listens for the caller's speech (or keys); ACS answers with <c>RecognizeCompleted</c> or
    /// <c>RecognizeFailed</c> carrying the request's operation context. ACS takes no repeatability id here: a retry may
    /// run twice, so it is sent once and the call's state decides what to send again.
    /// </summary>
    Task RecognizeAsync(string callConnectionId, RecognizeRequest request, CancellationToken cancellationToken);

    /// <summary>Plays the prompts to everyone on the call; ACS answers with <c>PlayCompleted</c> or <c>PlayFailed</c>. Sent once, as recognize.</summary>
    Task PlayAsync(string callConnectionId, PlayRequest request, CancellationToken cancellationToken);

    /// <summary>Stops every queued or running play and recognize (ACS answers <c>PlayCanceled</c>/<c>RecognizeCanceled</c>).</summary>
    Task CancelAllMediaOperationsAsync(string callConnectionId, CancellationToken cancellationToken);

    /// <summary>Transfers the caller to a number (<c>CallTransferAccepted</c> or <c>CallTransferFailed</c> follows). Idempotent through its repeatability id.</summary>
    Task TransferAsync(string callConnectionId, TransferRequest request, CancellationToken cancellationToken);

    /// <summary>Starts recording a call (mixed audio, WAV); ACS reports the file through RecordingFileStatusUpdated.</summary>
    Task<string> StartRecordingAsync(string serverCallId, Uri? stateCallbackUri, CancellationToken cancellationToken);

    /// <summary>Streams a recording chunk from its ACS <c>contentLocation</c> into <paramref name="destination"/>.</summary>
    Task DownloadRecordingAsync(Uri contentLocation, Stream destination, CancellationToken cancellationToken);

    /// <summary>Deletes ACS's own copy of a recording through its <c>deleteLocation</c>. Already gone is not an error.</summary>
    Task DeleteRecordingAsync(Uri deleteLocation, CancellationToken cancellationToken);
}

/// <param name="From">Our ACS number, E.164.</param>
/// <param name="To">Recipient, E.164.</param>
/// <param name="Message">Text; never logged.</param>
/// <param name="RepeatabilityId">Stable id of this send (a GUID derived from our idempotency key); a retry reuses it.</param>
/// <param name="RepeatabilityFirstSent">When the first attempt of this send was made; a retry reuses it.</param>
/// <param name="Tag">Returned in the delivery report, to find the send again.</param>
/// <param name="WaitOutThrottling">
/// False when the caller backs off by itself: a 429 then ends the send at once with an <see cref="AcsThrottledException"/>.
/// </param>
public sealed record SmsRequest(
    string From, string To, string Message, Guid RepeatabilityId, DateTimeOffset RepeatabilityFirstSent, string? Tag, bool WaitOutThrottling = true);

/// <param name="MessageId">ACS's id of the message, carried by its delivery report.</param>
/// <param name="Accepted">ACS accepted the message for delivery.</param>
/// <param name="HttpStatusCode">ACS's per-recipient status.</param>
/// <param name="ErrorMessage">ACS's reason when not accepted.</param>
public sealed record SmsSendResult(string? MessageId, bool Accepted, int HttpStatusCode, string? ErrorMessage);

/// <param name="SenderAddress">A verified sender of the ACS Email resource, e.g. <c>DoNotReply@contoso.azurecomm.net</c>.</param>
/// <param name="To">The recipient's address; never logged.</param>
/// <param name="Subject">Subject line.</param>
/// <param name="PlainText">The body; it carries a link or a code, never anything else secret.</param>
/// <param name="RepeatabilityId">Stable id of this send; a retry reuses it.</param>
/// <param name="RepeatabilityFirstSent">When the first attempt of this send was made.</param>
public sealed record EmailRequest(
    string SenderAddress, string To, string Subject, string PlainText, Guid RepeatabilityId, DateTimeOffset RepeatabilityFirstSent);

/// <param name="CognitiveServicesEndpoint">The speech service an agent on the call talks through, when one will.</param>
public sealed record CreateCallRequest(
    string From, string To, Uri CallbackUri, string? OperationContext, Guid RepeatabilityId, DateTimeOffset RepeatabilityFirstSent,
    Uri? CognitiveServicesEndpoint = null);

public sealed record CallConnection(string CallConnectionId, string? ServerCallId, string? CorrelationId);

/// <param name="CognitiveServicesEndpoint">The Azure AI services account ACS speaks and listens through (recognize, text prompts).</param>
/// <param name="MediaStreaming">Set for a realtime call: ACS streams the call's audio to this WebSocket and plays what comes back.</param>
public sealed record AnswerCallRequest(
    string IncomingCallContext, Uri CallbackUri, string? OperationContext, Uri? CognitiveServicesEndpoint = null, MediaStreamingRequest? MediaStreaming = null);

/// <summary>Bidirectional media streaming of the mixed call audio, 24 kHz 16-bit mono PCM, to <paramref name="TransportUrl"/> (wss).</summary>
public sealed record MediaStreamingRequest(Uri TransportUrl, bool EnableDtmf);

/// <summary>A line spoken by Azure AI Speech in <paramref name="VoiceName"/>.</summary>
public sealed record SpokenLine(string Text, string Locale, string VoiceName);

/// <param name="Caller">The caller's number (E.164), whose speech is recognized.</param>
/// <param name="Prompts">Played first; the caller may interrupt them when <paramref name="InterruptPrompt"/> is set.</param>
/// <param name="InterruptCurrentMedia">Stop whatever ACS is playing or recognizing now instead of queueing behind it.</param>
public sealed record RecognizeRequest(
    string Caller, IReadOnlyList<SpokenLine> Prompts, bool AcceptDtmf, bool InterruptPrompt, int InitialSilenceSeconds, int EndSilenceMs,
    string Language, string OperationContext, bool InterruptCurrentMedia);

public sealed record PlayRequest(IReadOnlyList<SpokenLine> Prompts, string OperationContext, bool InterruptCurrentMedia);

/// <param name="Target">The number the caller goes to (E.164).</param>
/// <param name="CallerId">Our number shown to the target.</param>
public sealed record TransferRequest(string Target, string? CallerId, string OperationContext, Guid RepeatabilityId, DateTimeOffset RepeatabilityFirstSent);

/// <summary>ACS refused a request for a reason a retry will not fix (4xx other than 408/429).</summary>
public sealed class AcsRequestException : Exception
{
    public AcsRequestException()
    {
    }

    public AcsRequestException(string message) : base(message)
    {
    }

    public AcsRequestException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public AcsRequestException(int status, string message) : base(message) => Status = status;

    public int Status { get; }
}

/// <summary>
/// ACS answered 429 and the request was not (or no longer) retried: <see cref="RetryAfter"/> is the wait ACS asked for,
/// when it said. A transient fault, so an <see cref="HttpRequestException"/> as every other.
/// </summary>
public sealed class AcsThrottledException : HttpRequestException
{
    public AcsThrottledException()
    {
    }

    public AcsThrottledException(string message) : base(message)
    {
    }

    public AcsThrottledException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public AcsThrottledException(string message, TimeSpan? retryAfter) : base(message, inner: null, System.Net.HttpStatusCode.TooManyRequests) =>
        RetryAfter = retryAfter;

    public TimeSpan? RetryAfter { get; }
}
