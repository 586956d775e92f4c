using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>Event Grid deliveries of ACS events and Call Automation callbacks: anonymous to the host, authenticated by the endpoints themselves (shared secret or Entra token; ACS JWT plus our callback token). An HTTP trigger rather than the Event Grid trigger, whose worker extension the package feed does not serve: the webhook keeps both validation handshakes, its own authentication and its retry-aware status codes. Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class TelephonyEventFunctions(HiroiHttp http)
{
    [Function(nameof(ReceiveAcsEvents))]
    public Task<IResult> ReceiveAcsEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/eventgrid/acs")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ReceiveAcsEvents), request, client);

    [Function(nameof(AnswerEventGridHandshake))]
    public Task<IResult> AnswerEventGridHandshake(
        [HttpTrigger(AuthorizationLevel.Anonymous, "options", Route = "api/eventgrid/acs")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(AnswerEventGridHandshake), request, client);

    [Function(nameof(ReceiveCallCallback))]
    public Task<IResult> ReceiveCallCallback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/calls/callbacks")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ReceiveCallCallback), request, client);
}
