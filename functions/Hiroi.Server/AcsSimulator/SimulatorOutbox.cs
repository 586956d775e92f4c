using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Hiroi.Endpoints.Telephony;
using Hiroi.Shared.Secrets;
using Microsoft.Extensions.Options;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// Posts what ACS would post, a little later and in the background: Event Grid events to our webhook (with the webhook
/// secret) and Call Automation callbacks to the call's callback URI (with a signed JWT).
/// </summary>
public sealed class SimulatorOutbox(
    IHttpClientFactory http, ISecretStore secrets, SimulatorSigningKey signingKey, IOptions<AcsSimulatorOptions> options,
    IOptions<AcsCallbackAuthOptionsView> audience, TimeProvider time, ILogger<SimulatorOutbox> logger) : BackgroundService
{
    public const string HttpClientName = "acs-simulator";
    private readonly Channel<(DateTimeOffset Due, Func<CancellationToken, Task> Send)> _queue = Channel.CreateUnbounded<(DateTimeOffset, Func<CancellationToken, Task>)>();

    /// <summary>Posts an Event Grid event; <paramref name="gridEvent"/> is built when it is sent, so its times are the send time.</summary>
    public void PostEvent(Func<object> gridEvent, int? delayMs = null) =>
        Enqueue(delayMs, ct => SendAsync(new Uri(options.Value.WebhookUrl), JsonSerializer.Serialize(new[] { gridEvent() }), "application/json", webhook: true, ct));

    public void PostCallback(Uri callbackUri, Func<object> cloudEvent, int? delayMs = null) =>
        Enqueue(delayMs, ct => SendAsync(callbackUri, JsonSerializer.Serialize(new[] { cloudEvent() }), "application/cloudevents-batch+json", webhook: false, ct));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (due, send) in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            var wait = due - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, stoppingToken);
            }

            for (var attempt = 1; attempt <= 5; attempt++)
            {
                try
                {
                    await send(stoppingToken);
                    break;
                }
                catch (HttpRequestException e) when (attempt < 5)
                {
                    logger.LogWarning("Simulator delivery failed ({Message}); retrying", e.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time, stoppingToken);
                }
            }
        }
    }

    private void Enqueue(int? delayMs, Func<CancellationToken, Task> send) =>
        _queue.Writer.TryWrite((time.GetUtcNow().AddMilliseconds(delayMs ?? options.Value.EventDelayMilliseconds), send));

    private async Task SendAsync(Uri target, string json, string mediaType, bool webhook, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new StringContent(json, Encoding.UTF8, mediaType) };
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
        if ((int)response.StatusCode >= 500)
        {
            throw new HttpRequestException($"target answered {(int)response.StatusCode}");
        }

        if (!response.IsSuccessStatusCode)
        {
            logger.LogWarning("Simulated delivery answered {StatusCode}", (int)response.StatusCode);
        }
    }
}

/// <summary>The callback audience, read from the same section the validator uses.</summary>
public sealed class AcsCallbackAuthOptionsView
{
    public string? Audience { get; set; }
}
