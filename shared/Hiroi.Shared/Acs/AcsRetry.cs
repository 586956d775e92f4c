using System.Globalization;
using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Hiroi.Shared.Acs;

/// <summary>
/// How <see cref="AcsRestClient"/> retries an idempotent operation, on the platform's one retry engine (Polly through
/// <c>Microsoft.Extensions.Http.Resilience</c>, as the agent tools' client): up to <see cref="AcsOptions.MaxRetries"/>
/// retries on 408, 429, 5xx, network errors and timeouts, an exponential, jittered back-off from
/// <see cref="AcsOptions.RetryBaseDelayMilliseconds"/> (at most <see cref="MaxBackoff"/>), or the wait a
/// <c>Retry-After</c> asks for (at most <see cref="MaxRetryAfter"/>). Each attempt is abandoned after
/// <see cref="AcsOptions.AttemptTimeoutMilliseconds"/>. A caller that backs off by itself (a campaign, per sender) sets
/// <see cref="WaitOutThrottling"/> to false: a 429 then comes back at once as an <see cref="AcsThrottledException"/>
/// carrying the wait ACS asked for. Waits run on the injected clock.
/// </summary>
internal static class AcsRetry
{
    /// <summary>Longest back-off step.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait a <c>Retry-After</c> gets.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    /// <summary>Set while a download's body is being read: a break then is retried by sending again (<see cref="ForBrokenBodies"/>).</summary>
    public static readonly ResiliencePropertyKey<bool> ReadingBody = new("Hiroi.Acs.ReadingBody");

    /// <summary>False when the caller takes a 429 itself instead of waiting it out here.</summary>
    public static readonly ResiliencePropertyKey<bool> WaitOutThrottling = new("Hiroi.Acs.WaitOutThrottling");

    /// <summary>
    /// Retries a request whose answer is transient. The request is made afresh for each attempt (and so signed afresh);
    /// the responses of failed attempts are disposed by the engine. A caller's cancellation is never retried.
    /// </summary>
    public static ResiliencePipeline<HttpResponseMessage> ForResponses(AcsOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        var attemptTimeout = TimeSpan.FromMilliseconds(options.AttemptTimeoutMilliseconds);
        if (options.MaxRetries == 0)
        {
            return builder.AddTimeout(attemptTimeout).Build();
        }

        var retry = new HttpRetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Result.StatusCode: HttpStatusCode.TooManyRequests } when !args.Context.Properties.GetValue(WaitOutThrottling, true) => false,
                { Result: { } response } => IsTransient(response.StatusCode),
                { Exception: { } e } => IsTransient(e, args.Context.CancellationToken),
                _ => false,
            }),
            // Read here rather than by the package, whose reader takes a Retry-After date against the system clock.
            ShouldRetryAfterHeader = false,
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfter(response, time) : null),
            OnRetry = args =>
            {
                var reason = args.Outcome switch
                {
                    { Result: { } response } => ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture),
                    { Exception: OperationCanceledException or TimeoutRejectedException } => "Timeout",
                    { Exception: { } e } => e.GetType().Name,
                    _ => "unknown",
                };
                LogRetry(logger, args.Context.OperationKey, args.AttemptNumber, reason, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        };
        UseBackoff(retry, options);
        // The timeout inside the retry: it bounds each attempt, and an abandoned attempt is retried.
        return builder.AddRetry(retry).AddTimeout(attemptTimeout).Build();
    }

    /// <summary>
    /// Sends a download again when its body broke mid-read (the destination is rewound by the caller's
    /// <paramref name="restart"/>); a refusal or a transient answer that outlasted <see cref="ForResponses"/> is not retried here.
    /// </summary>
    public static ResiliencePipeline ForBrokenBodies(AcsOptions options, TimeProvider time, ILogger logger, Action restart)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxRetries == 0)
        {
            return ResiliencePipeline.Empty;
        }

        var retry = new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is HttpIOException or HttpRequestException
                && args.Context.Properties.GetValue(ReadingBody, false)
                && !args.Context.CancellationToken.IsCancellationRequested),
            OnRetry = args =>
            {
                restart();
                LogRetry(logger, args.Context.OperationKey, args.AttemptNumber, "broke while reading: " + args.Outcome.Exception!.GetType().Name, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        };
        UseBackoff(retry, options);
        return new ResiliencePipelineBuilder { TimeProvider = time }.AddRetry(retry).Build();
    }

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>A network error, an attempt's timeout, or HttpClient's own timeout (a cancellation the caller did not ask for).</summary>
    private static bool IsTransient(Exception e, CancellationToken caller) =>
        e is HttpRequestException or TimeoutRejectedException || (e is OperationCanceledException && !caller.IsCancellationRequested);

    private static void UseBackoff<TResult>(RetryStrategyOptions<TResult> retry, AcsOptions options)
    {
        retry.MaxRetryAttempts = options.MaxRetries;
        retry.BackoffType = DelayBackoffType.Exponential;
        retry.UseJitter = true;
        retry.Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMilliseconds);
        retry.MaxDelay = MaxBackoff;
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        return wait switch
        {
            null => null,
            { } w when w < TimeSpan.Zero => TimeSpan.Zero,
            { } w when w > MaxRetryAfter => MaxRetryAfter,
            { } w => w,
        };
    }

    private static void LogRetry(ILogger logger, string? operation, int attempt, string reason, TimeSpan delay) =>
        logger.LogWarning(
            "ACS {Operation} attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms", operation, attempt + 1, reason, (long)delay.TotalMilliseconds);
}
