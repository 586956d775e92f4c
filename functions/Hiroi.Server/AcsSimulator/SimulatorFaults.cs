using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Hiroi.Shared.Configuration;
using Microsoft.Extensions.Options;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// Section <c>Hiroi:AcsSimulator:Faults</c>: ACS's bad days on purpose, per operation (<c>Sms</c>, <c>Email</c>,
/// <c>Call</c> for create call). Deterministic: a send (one repeatability id) gets the pattern's answers in order, so a
/// test knows how many requests each send takes whatever the order the sends arrive in.
/// </summary>
public sealed class SimulatorFaultOptions
{
    public SimulatedOperationFaults Sms { get; set; } = new();
    public SimulatedOperationFaults Email { get; set; } = new();
    public SimulatedOperationFaults Call { get; set; } = new();
}

public sealed class SimulatedOperationFaults
{
    /// <summary>
    /// The answers to a send's first, second, ... request, comma-separated; the last one repeats (end with <c>ok</c>
    /// for a passing fault). <c>ok</c>; <c>429</c> or <c>429:N</c> (Retry-After N seconds, 1 by default); <c>500</c>;
    /// <c>503</c>; <c>timeout</c> (no answer until the client gives up; nothing sent); <c>lost</c> (sent, then no
    /// answer: the retry must be deduplicated by its repeatability id). Empty: no faults.
    /// </summary>
    public string Pattern { get; set; } = string.Empty;

    /// <summary>Only every Nth send (in the order of their first requests) follows the pattern; 1: every send.</summary>
    [Range(1, 1_000_000)]
    public int Every { get; set; } = 1;

    /// <summary>Only sends from these senders (comma-separated), to fault one number and not another; empty: from any.</summary>
    public string From { get; set; } = string.Empty;
}

/// <summary>One answer of a fault pattern.</summary>
public readonly record struct SimulatedFault(int Status, int RetryAfterSeconds = 0, bool Hangs = false, bool SendsFirst = false)
{
    public static readonly SimulatedFault Ok = new(200);

    public string Name => (Status, Hangs, SendsFirst) switch
    {
        (_, true, true) => "lost",
        (_, true, false) => "timeout",
        (429, _, _) => "429:" + RetryAfterSeconds.ToString(CultureInfo.InvariantCulture),
        (200, _, _) => "ok",
        _ => Status.ToString(CultureInfo.InvariantCulture),
    };

    public static bool TryParse(string text, out SimulatedFault fault)
    {
        fault = Ok;
        var parts = text.Trim().Split(':');
        switch (parts[0])
        {
            case "ok" when parts.Length == 1:
                return true;
            case "500" or "503" when parts.Length == 1:
                fault = new SimulatedFault(int.Parse(parts[0], CultureInfo.InvariantCulture));
                return true;
            case "timeout" when parts.Length == 1:
                fault = new SimulatedFault(0, Hangs: true);
                return true;
            case "lost" when parts.Length == 1:
                fault = new SimulatedFault(0, Hangs: true, SendsFirst: true);
                return true;
            case "429" when parts.Length == 1:
                fault = new SimulatedFault(429, 1);
                return true;
            case "429" when parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 3600:
                fault = new SimulatedFault(429, seconds);
                return true;
            default:
                return false;
        }
    }
}

/// <summary>What the simulator answered each request of a faulted send, and when (<c>GET /simulate/faults</c>).</summary>
public sealed record SimulatedRequest(string Answer, DateTimeOffset At);

/// <summary>
/// Picks each request's answer from <see cref="SimulatorFaultOptions"/> and keeps what it answered, in memory (a
/// restart starts every pattern afresh). A faulted answer is given before the send is recorded, so it sent nothing;
/// only <c>lost</c> records the send first.
/// </summary>
public sealed class SimulatorFaults
{
    private readonly Dictionary<string, Rule> _rules = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, FaultedSend>> _log = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public SimulatorFaults(IOptions<AcsSimulatorOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        var faults = options.Value.Faults;
        Add("sms", faults.Sms, nameof(SimulatorFaultOptions.Sms));
        Add("email", faults.Email, nameof(SimulatorFaultOptions.Email));
        Add("call", faults.Call, nameof(SimulatorFaultOptions.Call));
    }

    private void Add(string operation, SimulatedOperationFaults rule, string key)
    {
        if (string.IsNullOrWhiteSpace(rule.Pattern))
        {
            return;
        }

        var pattern = new List<SimulatedFault>();
        foreach (var text in rule.Pattern.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            pattern.Add(SimulatedFault.TryParse(text, out var fault)
                ? fault
                : throw new SettingException($"{AcsSimulatorOptions.Section}:Faults:{key}:Pattern", "lists ok, 429, 429:seconds, 500, 503, timeout or lost, comma-separated"));
        }

        if (rule.Every < 1)
        {
            throw new SettingException($"{AcsSimulatorOptions.Section}:Faults:{key}:Every", "must be 1 or more");
        }

        var senders = rule.From.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _rules[operation] = new Rule([.. pattern], rule.Every, senders.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The answer to this request of the send <paramref name="repeatabilityId"/> of <paramref name="operation"/>.</summary>
    public SimulatedFault Next(string operation, string? repeatabilityId, string? from)
    {
        if (!_rules.TryGetValue(operation, out var rule) || repeatabilityId is null || (rule.From.Count > 0 && (from is null || !rule.From.Contains(from))))
        {
            return SimulatedFault.Ok;
        }

        var sends = _log.GetOrAdd(operation, _ => new ConcurrentDictionary<string, FaultedSend>(StringComparer.Ordinal));
        FaultedSend? send;
        lock (sends)
        {
            // Counted once per send, so exactly every Nth follows the pattern; the others answer ok throughout.
            if (!sends.TryGetValue(repeatabilityId, out send))
            {
                sends[repeatabilityId] = send = new FaultedSend(++rule.Sends % rule.Every == 0);
            }
        }

        lock (send)
        {
            var fault = send.Faulted ? rule.Pattern[Math.Min(send.Requests.Count, rule.Pattern.Length - 1)] : SimulatedFault.Ok;
            send.Requests.Add(new SimulatedRequest(fault.Name, _time.GetUtcNow()));
            return fault;
        }
    }

    /// <summary>Each faulted send's requests so far, by repeatability id.</summary>
    public IReadOnlyDictionary<string, SimulatedRequest[]> Log(string operation)
    {
        var log = new Dictionary<string, SimulatedRequest[]>(StringComparer.Ordinal);
        foreach (var (id, send) in _log.TryGetValue(operation, out var sends) ? sends : [])
        {
            lock (send)
            {
                if (send.Faulted)
                {
                    log[id] = [.. send.Requests];
                }
            }
        }

        return log;
    }

    private sealed class Rule(SimulatedFault[] pattern, int every, HashSet<string> from)
    {
        public SimulatedFault[] Pattern { get; } = pattern;
        public int Every { get; } = every;
        public HashSet<string> From { get; } = from;

        /// <summary>Sends seen so far (changed under the operation's lock).</summary>
        public long Sends { get; set; }
    }

    private sealed class FaultedSend(bool faulted)
    {
        public bool Faulted { get; } = faulted;
        public List<SimulatedRequest> Requests { get; } = [];
    }

    /// <summary>An endpoint filter answering <paramref name="operation"/>'s requests as the pattern says.</summary>
    public static EndpointFilterDelegate Filter(string operation, EndpointFilterDelegate next) => async context =>
    {
        var http = context.HttpContext;
        var faults = http.RequestServices.GetRequiredService<SimulatorFaults>();
        if (!faults._rules.ContainsKey(operation))
        {
            return await next(context);
        }

        var (id, from) = await SendOfAsync(operation, http.Request);
        var fault = faults.Next(operation, id, from);
        if (fault.Status == 200)
        {
            return await next(context);
        }

        if (fault.Hangs)
        {
            if (fault.SendsFirst)
            {
                await next(context); // the send is recorded; its answer never leaves
            }

            try
            {
                // Until the client gives up (bounded, so an abandoned request cannot hold the server forever).
                await Task.Delay(TimeSpan.FromMinutes(5), faults._time, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }

            return Results.Empty;
        }

        if (fault.Status == 429)
        {
            http.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        var code = fault.Status switch
        {
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            _ => "InternalServerError",
        };
        return TypedResults.Json(new { error = new { code, message = "Simulated fault." } }, statusCode: fault.Status);
    };

    /// <summary>The send's repeatability id and sender: in the body for SMS (per recipient), in headers for the others.</summary>
    private static async Task<(string? Id, string? From)> SendOfAsync(string operation, HttpRequest request)
    {
        request.Body.Position = 0;
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        var root = body.RootElement;
        var header = request.Headers["Repeatability-Request-ID"].FirstOrDefault();
        return operation switch
        {
            "sms" => (root.TryGetProperty("smsRecipients", out var recipients) && recipients.ValueKind == JsonValueKind.Array && recipients.GetArrayLength() > 0
                    && recipients[0].TryGetProperty("repeatabilityRequestId", out var r) ? r.GetString() : null,
                root.TryGetProperty("from", out var f) ? f.GetString() : null),
            "email" => (header, root.TryGetProperty("senderAddress", out var s) ? s.GetString() : null),
            _ => (header, root.TryGetProperty("sourceCallerIdNumber", out var c) && c.TryGetProperty("value", out var v) ? v.GetString() : null),
        };
    }
}
