using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>Agents, the org secrets their tools use, and their usage. Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class AgentFunctions(HiroiHttp http)
{
    [Function(nameof(ListAgents))]
    public Task<IResult> ListAgents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/agents")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListAgents), request, client);

    [Function(nameof(CreateAgent))]
    public Task<IResult> CreateAgent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/agents")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CreateAgent), request, client);

    [Function(nameof(GetAgent))]
    public Task<IResult> GetAgent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/agents/{agentId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(GetAgent), request, client);

    [Function(nameof(UpdateAgent))]
    public Task<IResult> UpdateAgent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/agents/{agentId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(UpdateAgent), request, client);

    [Function(nameof(DeleteAgent))]
    public Task<IResult> DeleteAgent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/agents/{agentId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(DeleteAgent), request, client);

    [Function(nameof(ListTenantSecrets))]
    public Task<IResult> ListTenantSecrets(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/secrets")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListTenantSecrets), request, client);

    [Function(nameof(SetTenantSecret))]
    public Task<IResult> SetTenantSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/secrets/{name}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(SetTenantSecret), request, client);

    [Function(nameof(DeleteTenantSecret))]
    public Task<IResult> DeleteTenantSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/secrets/{name}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(DeleteTenantSecret), request, client);

    [Function(nameof(GetUsage))]
    public Task<IResult> GetUsage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/usage")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(GetUsage), request, client);

    [Function(nameof(SetUsageCaps))]
    public Task<IResult> SetUsageCaps(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/usage/caps")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(SetUsageCaps), request, client);
}
