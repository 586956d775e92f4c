using System.Text.Json.Serialization;

namespace Hiroi.Shared.Acs;

/// <summary>Call Automation's media operations on a connected call: recognize, play, cancel, transfer.</summary>
public sealed partial class AcsRestClient
{
    public async Task RecognizeAsync(string callConnectionId, RecognizeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = Serialize(new RecognizeBody(
            request.AcceptDtmf ? "speechOrDtmf" : "speech",
            request.Prompts.Count == 0 ? null : [.. request.Prompts.Select(TextSource)],
            request.InterruptCurrentMedia,
            new RecognizeOptionsBody(
                PhoneIdentifier(request.Caller), request.InterruptPrompt, request.InitialSilenceSeconds, request.Language,
                new SpeechOptionsBody(request.EndSilenceMs),
                request.AcceptDtmf ? new DtmfOptionsBody(InterToneTimeoutInSeconds: 3, MaxTonesToCollect: 20, StopTones: ["pound"]) : null),
            request.OperationContext), AcsCallMediaJsonContext.Default.RecognizeBody);
        await PostOnceAsync("Recognize", callConnectionId, ":recognize", body, cancellationToken).ConfigureAwait(false);
    }

    public async Task PlayAsync(string callConnectionId, PlayRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = Serialize(
            new PlayBody([.. request.Prompts.Select(TextSource)], request.InterruptCurrentMedia, request.OperationContext), AcsCallMediaJsonContext.Default.PlayBody);
        await PostOnceAsync("Play", callConnectionId, ":play", body, cancellationToken).ConfigureAwait(false);
    }

    public Task CancelAllMediaOperationsAsync(string callConnectionId, CancellationToken cancellationToken) =>
        PostOnceAsync("CancelAllMediaOperations", callConnectionId, ":cancelAllMediaOperations", body: null, cancellationToken);

    public async Task TransferAsync(string callConnectionId, TransferRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(callConnectionId);
        var body = Serialize(new TransferBody(
            PhoneIdentifier(request.Target), request.OperationContext, request.CallerId is null ? null : new PhoneNumberBody(request.CallerId)),
            AcsCallMediaJsonContext.Default.TransferBody);
        var uri = Resource($"/calling/callConnections/{Uri.EscapeDataString(callConnectionId)}:transferToParticipant", _options.CallAutomationApiVersion);
        using var response = await SendAsync(
            "Transfer", () => Post(uri, body, request.RepeatabilityId, request.RepeatabilityFirstSent), retry: true, notFoundIsSuccess: false,
            HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An operation ACS takes no repeatability id for: one attempt, so a transient failure is the caller's to judge.</summary>
    private async Task PostOnceAsync(string operation, string callConnectionId, string action, byte[]? body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callConnectionId);
        var uri = Resource($"/calling/callConnections/{Uri.EscapeDataString(callConnectionId)}{action}", _options.CallAutomationApiVersion);
        using var response = await SendAsync(
            operation, () => Post(uri, body ?? "{}"u8.ToArray()), retry: false, notFoundIsSuccess: false, HttpCompletionOption.ResponseContentRead, cancellationToken)
            .ConfigureAwait(false);
    }

    private static PlaySourceBody TextSource(SpokenLine line) => new("text", new TextSourceBody(line.Text, line.Locale, line.VoiceName));

    private static CommunicationIdentifierBody PhoneIdentifier(string number) => new("phoneNumber", new PhoneNumberBody(number));
}

internal sealed record TextSourceBody(string Text, string SourceLocale, string VoiceName);

internal sealed record PlaySourceBody(string Kind, TextSourceBody Text);

internal sealed record SpeechOptionsBody(long EndSilenceTimeoutInMs);

internal sealed record DtmfOptionsBody(int InterToneTimeoutInSeconds, int MaxTonesToCollect, IReadOnlyList<string> StopTones);

internal sealed record RecognizeOptionsBody(
    CommunicationIdentifierBody TargetParticipant, bool InterruptPrompt, int InitialSilenceTimeoutInSeconds, string SpeechLanguage,
    SpeechOptionsBody SpeechOptions, DtmfOptionsBody? DtmfOptions);

internal sealed record RecognizeBody(
    string RecognizeInputType, IReadOnlyList<PlaySourceBody>? PlayPrompts, bool InterruptCallMediaOperation, RecognizeOptionsBody RecognizeOptions,
    string OperationContext);

internal sealed record PlayBody(IReadOnlyList<PlaySourceBody> PlaySources, bool InterruptCallMediaOperation, string OperationContext);

internal sealed record TransferBody(CommunicationIdentifierBody TargetParticipant, string OperationContext, PhoneNumberBody? SourceCallerIdNumber);

internal sealed record CallIntelligenceOptionsBody(string CognitiveServicesEndpoint);

internal sealed record MediaStreamingOptionsBody(
    string TransportType, string TransportUrl, string AudioChannelType, string ContentType, bool StartMediaStreaming, bool EnableBidirectional,
    string AudioFormat, bool EnableDtmfTones);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RecognizeBody))]
[JsonSerializable(typeof(PlayBody))]
[JsonSerializable(typeof(TransferBody))]
internal sealed partial class AcsCallMediaJsonContext : JsonSerializerContext;
