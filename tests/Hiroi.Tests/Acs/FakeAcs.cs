using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Hiroi.Tests.Acs;

/// <summary>
/// The network edge of the ACS client: records every request that reaches the wire (after authentication) and answers
/// from a script, in order.
/// </summary>
public sealed class ScriptedAcs : HttpMessageHandler
{
    private readonly Queue<Func<HttpResponseMessage>> _script = new();
    private readonly List<RecordedRequest> _requests = [];

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public ScriptedAcs Respond(HttpStatusCode status, string? json = null, Action<HttpResponseMessage>? configure = null)
    {
        _script.Enqueue(() =>
        {
            var response = new HttpResponseMessage(status);
            if (json is not null)
            {
                response.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            configure?.Invoke(response);
            return response;
        });
        return this;
    }

    public ScriptedAcs RespondWith(Func<HttpResponseMessage> response)
    {
        _script.Enqueue(response);
        return this;
    }

    public ScriptedAcs Throw(Exception exception)
    {
        _script.Enqueue(() => throw exception);
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
        lock (_requests)
        {
            _requests.Add(new RecordedRequest(request.Method, request.RequestUri!, headers, body, request.Content?.Headers.ContentType?.MediaType));
        }

        if (_script.Count == 0)
        {
            throw new InvalidOperationException("The fake ACS has no scripted answer left for " + request.Method + " " + request.RequestUri);
        }

        var response = _script.Dequeue()();
        response.RequestMessage = request;
        return response;
    }
}

public sealed record RecordedRequest(
    HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, byte[] Body, string? ContentType)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A clock that stands still until something waits on it: every timer fires at once, and the wait it asked for is recorded
/// and added to the time, so retries are instant yet each attempt sees the time move on. A timer made without a due time
/// (a timeout's, armed later) is left to the system clock.
/// </summary>
public sealed class InstantTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly List<TimeSpan> _waits = [];
    private DateTimeOffset _now = start;

    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (_waits)
            {
                return [.. _waits];
            }
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_waits)
        {
            return _now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            // A timeout's timer (an attempt's deadline), set later: not a wait, and never due here, where ACS answers at once.
            return System.CreateTimer(callback, state, dueTime, period);
        }

        lock (_waits)
        {
            _waits.Add(dueTime);
            _now += dueTime;
        }

        return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }
}

/// <summary>Keeps every formatted log line, to prove what never reaches the logs.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));
        }
    }
}
