using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>Numbers, opt-outs, conversations and calls. Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class TelephonyFunctions(HiroiHttp http)
{
    [Function(nameof(ListNumbers))]
    public Task<IResult> ListNumbers(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/numbers")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListNumbers), request, client);

    [Function(nameof(RegisterNumber))]
    public Task<IResult> RegisterNumber(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/numbers")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RegisterNumber), request, client);

    [Function(nameof(ReleaseNumber))]
    public Task<IResult> ReleaseNumber(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/numbers/{number}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ReleaseNumber), request, client);

    [Function(nameof(ListOptOuts))]
    public Task<IResult> ListOptOuts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/optouts")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListOptOuts), request, client);

    [Function(nameof(AddOptOut))]
    public Task<IResult> AddOptOut(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/optouts")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(AddOptOut), request, client);

    [Function(nameof(ListConversations))]
    public Task<IResult> ListConversations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/conversations")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListConversations), request, client);

    [Function(nameof(ListConversationMessages))]
    public Task<IResult> ListConversationMessages(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/conversations/{conversationId}/messages")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListConversationMessages), request, client);

    [Function(nameof(ListCalls))]
    public Task<IResult> ListCalls(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/calls")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListCalls), request, client);

    [Function(nameof(GetCall))]
    public Task<IResult> GetCall(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/calls/{callId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(GetCall), request, client);

    [Function(nameof(PlayCallRecording))]
    public Task<IResult> PlayCallRecording(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/calls/{callId}/recording")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(PlayCallRecording), request, client);
}
