using Hiroi.Shared.Acs;

namespace Hiroi.Benchmarks;

/// <summary>ACS answering at once (the benchmark measures our storage path, not a network).</summary>
internal sealed class InstantAcs : IAcsClient
{
    public Task<SmsSendResult> SendSmsAsync(SmsRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new SmsSendResult("bench-" + request.RepeatabilityId.ToString("N"), true, 202, null));

    public Task<string> SendEmailAsync(EmailRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<CallConnection> CreateCallAsync(CreateCallRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<CallConnection> AnswerCallAsync(AnswerCallRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task RejectCallAsync(string incomingCallContext, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task HangUpAsync(string callConnectionId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<string> StartRecordingAsync(string serverCallId, Uri? stateCallbackUri, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DownloadRecordingAsync(Uri contentLocation, Stream destination, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DeleteRecordingAsync(Uri deleteLocation, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task RecognizeAsync(string callConnectionId, RecognizeRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task PlayAsync(string callConnectionId, PlayRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CancelAllMediaOperationsAsync(string callConnectionId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task TransferAsync(string callConnectionId, TransferRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
}
