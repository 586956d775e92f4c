using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hiroi.Endpoints.Telephony;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.Options;

namespace Hiroi.Server.AcsSimulator;

/// <summary>A delivery the simulated ACS owes: kept in storage until it is made, so a restart of the process (a kill test) loses none.</summary>
public sealed class OutboxItem : TableRow
{
    /// <summary><c>grid</c> (an Event Grid event to the webhook), <c>callback</c> (a Call Automation callback) or <c>advance</c> (a call's media timeline).</summary>
    public string Kind { get; set; } = string.Empty;

    public string? Target { get; set; }
    public string? Body { get; set; }
    public DateTimeOffset Due { get; set; }

    /// <summary>What the platform will answer this delivery for, when the load run measures it (<see cref="SimulatorLatencies"/>).</summary>
    public string? AwaitsAnswerFor { get; set; }
}

/// <summary>
/// Posts what ACS would post, a little later and in the background: Event Grid events to our webhook (with the webhook
/// secret) and Call Automation callbacks to the call's callback URI (with a signed JWT). Like ACS, it redelivers until it
/// gets a 2xx, and every delivery waits in storage until then, so a platform killed mid-call gets its callbacks after the
/// restart. Deliveries start in the order they fall due and do not wait for one another (a callback the platform holds
/// open while its agent thinks does not hold back the next, as with ACS); with
/// <see cref="AcsSimulatorOptions.CallbackCopies"/> above one, each callback goes that many times, shuffled, as
/// at-least-once delivery may.
/// </summary>
public sealed class SimulatorOutbox(
    IHttpClientFactory http, ISecretStore secrets, SimulatorSigningKey signingKey, SimulatorStore store, IOptions<AcsSimulatorOptions> options,
    IOptions<AcsCallbackAuthOptionsView> audience, IServiceProvider services, SimulatorLatencies latencies, TimeProvider time, ILogger<SimulatorOutbox> logger)
    : BackgroundService
{
    public const string HttpClientName = "acs-simulator";
    private const string Partition = "outbox";
    private static long _sequence;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<string, OutboxItem> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _sending = new(StringComparer.Ordinal);

    /// <summary>Posts an Event Grid event; <paramref name="gridEvent"/> is built now, with the times of now.</summary>
    public Task PostEventAsync(object gridEvent, int? delayMs = null, string? awaitsAnswerFor = null, CancellationToken cancellationToken = default) =>
        AddAsync("grid", options.Value.WebhookUrl, JsonSerializer.Serialize(new[] { gridEvent }),
            delayMs ?? options.Value.EventDelayMilliseconds, awaitsAnswerFor, cancellationToken);

    public async Task PostCallbackAsync(Uri callbackUri, object cloudEvent, int? delayMs = null, string? awaitsAnswerFor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(callbackUri);
        var body = JsonSerializer.Serialize(new[] { cloudEvent });
        var copies = Math.Max(1, options.Value.CallbackCopies);
        for (var copy = 0; copy < copies; copy++)
        {
            var jitter = copies > 1 ? Random.Shared.Next(0, options.Value.ShuffleMilliseconds + 1) : 0;
            await AddAsync("callback", callbackUri.AbsoluteUri, body, (delayMs ?? options.Value.EventDelayMilliseconds) + jitter, awaitsAnswerFor, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>Asks the call's media timeline to move on at <paramref name="at"/> (a prompt or play that takes time has ended).</summary>
    public Task AdvanceAsync(string callRecordId, DateTimeOffset at, CancellationToken cancellationToken) =>
        AddAsync("advance", callRecordId, null, Math.Max(0, (int)(at - time.GetUtcNow()).TotalMilliseconds), awaitsAnswerFor: null, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // What a previous run of the process still owed.
        foreach (var item in await store.ListAsync<OutboxItem>(Partition, stoppingToken).ConfigureAwait(false))
        {
            _pending[item.RowKey] = item;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = DateTimeOffset.MaxValue;
            foreach (var item in _pending.Values.OrderBy(i => i.RowKey, StringComparer.Ordinal))
            {
                if (item.Due > now)
                {
                    next = item.Due < next ? item.Due : next;
                }
                else if (_sending.TryAdd(item.RowKey, 0))
                {
                    _ = DeliverAsync(item, stoppingToken);
                }
            }

            var wait = next == DateTimeOffset.MaxValue ? TimeSpan.FromSeconds(1) : next - now;
            try
            {
                await _wake.WaitAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task AddAsync(string kind, string target, string? body, int delayMs, string? awaitsAnswerFor, CancellationToken cancellationToken)
    {
        var due = time.GetUtcNow().AddMilliseconds(delayMs);
        var item = new OutboxItem
        {
            PartitionKey = Partition,
            RowKey = due.UtcTicks.ToString("D20", CultureInfo.InvariantCulture) + "_" + Interlocked.Increment(ref _sequence).ToString("D12", CultureInfo.InvariantCulture)
                + "_" + Guid.NewGuid().ToString("N")[..8],
            Kind = kind, Target = target, Body = body, Due = due, AwaitsAnswerFor = awaitsAnswerFor,
        };
        await store.AddAsync(item, cancellationToken).ConfigureAwait(false);
        _pending[item.RowKey] = item;
        _wake.Release();
    }

    /// <summary>Delivers one item until it gets through.</summary>
    private async Task DeliverAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 1; !cancellationToken.IsCancellationRequested; attempt++)
            {
                try
                {
                    await SendAsync(item, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    logger.LogInformation("Simulator delivery failed ({Message}); retrying", e.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt)), time, cancellationToken).ConfigureAwait(false);
                }
            }

            await store.DeleteAsync(Partition, item.RowKey, cancellationToken).ConfigureAwait(false);
            _pending.TryRemove(item.RowKey, out _);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the item stays in storage for the next run.
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Simulator delivery gave up");
            _pending.TryRemove(item.RowKey, out _);
        }
        finally
        {
            _sending.TryRemove(item.RowKey, out _);
        }
    }

    private async Task SendAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        if (item.Kind == "advance")
        {
            await services.GetRequiredService<SimulatedCalls>().AdvanceAsync(item.Target!, cancellationToken).ConfigureAwait(false);
            return;
        }

        var webhook = item.Kind == "grid";
        if (item.AwaitsAnswerFor is { } subject)
        {
            latencies.Sent(subject);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, item.Target)
        {
            Content = new StringContent(item.Body ?? "[]", Encoding.UTF8, webhook ? "application/json" : "application/cloudevents-batch+json"),
        };
        if (webhook)
        {
            request.Headers.Add(WebhookAuthenticator.HeaderName, await secrets.GetAsync(WebhookAuthenticator.SecretName, cancellationToken) ?? string.Empty);
            request.Headers.Add("aeg-event-type", "Notification");
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signingKey.Token(audience.Value.Audience ?? string.Empty, time.GetUtcNow()));
        }

        using var response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if ((int)response.StatusCode >= 500 || (int)response.StatusCode == 429)
        {
            throw new HttpRequestException($"target answered {(int)response.StatusCode}");
        }

        if (!response.IsSuccessStatusCode)
        {
            logger.LogWarning("Simulated delivery answered {StatusCode}", (int)response.StatusCode);
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}

/// <summary>The callback audience, read from the same section the validator uses.</summary>
public sealed class AcsCallbackAuthOptionsView
{
    public string? Audience { get; set; }
}
