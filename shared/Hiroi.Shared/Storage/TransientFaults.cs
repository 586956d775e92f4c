using Azure;

namespace Hiroi.Shared.Storage;

/// <summary>Tells a dependency's passing fault (worth a retry, answered 503) from a bug (500).</summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        RequestFailedException { Status: 0 or 408 or 429 or >= 500 } => true,
        DependencyUnavailableException => true,
        HttpRequestException or TimeoutException => true,
        // A cancellation nobody asked for is a timeout: the SDK's per-try network timeout throws this, with the caller's
        // (uncancelled) token, and the retry policy then gives up with an AggregateException of them.
        OperationCanceledException { CancellationToken.IsCancellationRequested: false } => true,
        // Redis (shared limits and counters) down or slow.
        StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException => true,
        // Azure.Core's retry policy gives up with an AggregateException of each attempt's failure.
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        _ => false,
    };
}

/// <summary>A dependency that is not storage (the workflow engine) could not be reached; worth a retry, answered 503.</summary>
public sealed class DependencyUnavailableException(string message, Exception innerException) : Exception(message, innerException);
