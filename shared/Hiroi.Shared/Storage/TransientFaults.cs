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
        // Redis (shared limits and counters) down or slow.
        StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException => true,
        // Azure.Core's retry policy gives up with an AggregateException of each attempt's failure.
        // It aggregates only tries it retried, and it never retries a caller's cancellation: a cancelled try in there is a
        // try that outlived its network timeout (storage hung).
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0
            && aggregate.InnerExceptions.All(e => IsTransient(e) || e is OperationCanceledException),
        _ => false,
    };
}

/// <summary>A dependency that is not storage (the workflow engine) could not be reached; worth a retry, answered 503.</summary>
public sealed class DependencyUnavailableException(string message, Exception innerException) : Exception(message, innerException);
