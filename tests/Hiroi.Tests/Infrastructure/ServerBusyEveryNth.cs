using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Hiroi.Shared.Storage;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// Storage throttling, deterministically: every <c>n</c>th storage call is answered 503 ServerBusy on its first try, without
/// reaching the account (as a throttled partition refuses), and goes through on its retry. Sits after the clients' retry
/// policy, so the retry is the clients' own. Added to every storage client through <see cref="Hook"/>.
/// </summary>
public sealed class ServerBusyEveryNth(int n) : HttpPipelinePolicy
{
    private int _calls;
    private int _refused;

    /// <summary>How many tries were refused so far.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public StorageClientHook Hook => new(options => options.AddPolicy(this, HttpPipelinePosition.PerRetry));

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (!Refuse(message))
        {
            ProcessNext(message, pipeline);
        }
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        Refuse(message) ? ValueTask.CompletedTask : ProcessNextAsync(message, pipeline);

    private bool Refuse(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.TryGetProperty(typeof(ServerBusyEveryNth), out _))
        {
            return false; // a retry of a call seen before
        }

        message.SetProperty(typeof(ServerBusyEveryNth), true);
        if (Interlocked.Increment(ref _calls) % n != 0)
        {
            return false;
        }

        Interlocked.Increment(ref _refused);
        message.Response = new ServerBusyResponse(message.Request.ClientRequestId);
        return true;
    }

    private sealed class ServerBusyResponse(string clientRequestId) : Response
    {
        private static readonly Dictionary<string, string> Headers503 = new(StringComparer.OrdinalIgnoreCase)
        {
            ["x-ms-error-code"] = "ServerBusy",
            ["Content-Type"] = "application/json",
        };

        public override int Status => 503;

        // The transport policy, which this answer skips, is what marks errors; the retry policy retries only those.
        public override bool IsError => true;

        public override string ReasonPhrase => "Server Busy";

        public override Stream? ContentStream { get; set; } = new MemoryStream("""{"odata.error":{"code":"ServerBusy","message":{"value":"The server is busy."}}}"""u8.ToArray());

        public override string ClientRequestId { get; set; } = clientRequestId;

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => Headers503.ContainsKey(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => Headers503.Select(h => new HttpHeader(h.Key, h.Value));

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value) => Headers503.TryGetValue(name, out value);

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            var found = Headers503.TryGetValue(name, out var value);
            values = found ? [value!] : null;
            return found;
        }
    }
}
