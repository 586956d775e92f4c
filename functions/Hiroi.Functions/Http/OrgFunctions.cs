using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>The org, its members and API keys. Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class OrgFunctions(HiroiHttp http)
{
    [Function(nameof(GetCurrentOrg))]
    public Task<IResult> GetCurrentOrg(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/orgs/current")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(GetCurrentOrg), request, client);

    [Function(nameof(RequestOrgDeletion))]
    public Task<IResult> RequestOrgDeletion(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/orgs/current/deletion")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RequestOrgDeletion), request, client);

    [Function(nameof(SetOrgTwoFactor))]
    public Task<IResult> SetOrgTwoFactor(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/orgs/current/two-factor")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(SetOrgTwoFactor), request, client);

    [Function(nameof(ListMembers))]
    public Task<IResult> ListMembers(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/members")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListMembers), request, client);

    [Function(nameof(AddMember))]
    public Task<IResult> AddMember(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/members")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(AddMember), request, client);

    [Function(nameof(ChangeMemberRole))]
    public Task<IResult> ChangeMemberRole(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/members/{memberId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ChangeMemberRole), request, client);

    [Function(nameof(RemoveMember))]
    public Task<IResult> RemoveMember(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/members/{memberId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RemoveMember), request, client);

    [Function(nameof(ListApiKeys))]
    public Task<IResult> ListApiKeys(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/api-keys")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListApiKeys), request, client);

    [Function(nameof(CreateApiKey))]
    public Task<IResult> CreateApiKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/api-keys")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CreateApiKey), request, client);

    [Function(nameof(RevokeApiKey))]
    public Task<IResult> RevokeApiKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/api-keys/{keyId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RevokeApiKey), request, client);
}
