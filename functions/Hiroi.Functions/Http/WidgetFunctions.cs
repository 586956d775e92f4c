using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>Widget keys (console) and the widget's public API. Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class WidgetFunctions(HiroiHttp http)
{
    [Function(nameof(ListWidgetKeys))]
    public Task<IResult> ListWidgetKeys(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/widget-keys")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListWidgetKeys), request, client);

    [Function(nameof(CreateWidgetKey))]
    public Task<IResult> CreateWidgetKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/widget-keys")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CreateWidgetKey), request, client);

    [Function(nameof(GetWidgetKey))]
    public Task<IResult> GetWidgetKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/widget-keys/{widgetKeyId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(GetWidgetKey), request, client);

    [Function(nameof(RotateWidgetKey))]
    public Task<IResult> RotateWidgetKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/widget-keys/{widgetKeyId}/rotate")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RotateWidgetKey), request, client);

    [Function(nameof(RotateWidgetSecret))]
    public Task<IResult> RotateWidgetSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/widget-keys/{widgetKeyId}/secrets")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RotateWidgetSecret), request, client);

    [Function(nameof(RevokeWidgetKey))]
    public Task<IResult> RevokeWidgetKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/widget-keys/{widgetKeyId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RevokeWidgetKey), request, client);

    [Function(nameof(WidgetEmbedScript))]
    public Task<IResult> WidgetEmbedScript(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "widget/v1/embed.js")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(WidgetEmbedScript), request, client);

    [Function(nameof(WidgetDemoPage))]
    public Task<IResult> WidgetDemoPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "widget/v1/demo")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(WidgetDemoPage), request, client);

    [Function(nameof(WidgetDemoScript))]
    public Task<IResult> WidgetDemoScript(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "widget/v1/demo.js")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(WidgetDemoScript), request, client);

    [Function(nameof(WidgetPreflight))]
    public Task<IResult> WidgetPreflight(
        [HttpTrigger(AuthorizationLevel.Anonymous, "options", Route = "widget/v1/keys/{widgetKeyId}/{action}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(WidgetPreflight), request, client);

    [Function(nameof(WidgetChallenge))]
    public Task<IResult> WidgetChallenge(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "widget/v1/keys/{widgetKeyId}/challenge")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(WidgetChallenge), request, client);

    [Function(nameof(OpenWidgetSession))]
    public Task<IResult> OpenWidgetSession(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "widget/v1/keys/{widgetKeyId}/sessions")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(OpenWidgetSession), request, client);

    [Function(nameof(WidgetHeartbeat))]
    public Task<IResult> WidgetHeartbeat(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "widget/v1/keys/{widgetKeyId}/heartbeat")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(WidgetHeartbeat), request, client);

    [Function(nameof(SendWidgetMessage))]
    public Task<IResult> SendWidgetMessage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "widget/v1/keys/{widgetKeyId}/messages")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(SendWidgetMessage), request, client);

    [Function(nameof(EndWidgetSession))]
    public Task<IResult> EndWidgetSession(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "widget/v1/keys/{widgetKeyId}/end")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(EndWidgetSession), request, client);
}
