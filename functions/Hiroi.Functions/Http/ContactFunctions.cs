using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>Contact lists and the do-not-contact list. Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class ContactFunctions(HiroiHttp http)
{
    [Function(nameof(ListContactLists))]
    public Task<IResult> ListContactLists(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/lists")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListContactLists), request, client);

    [Function(nameof(CreateContactList))]
    public Task<IResult> CreateContactList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/lists")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CreateContactList), request, client);

    [Function(nameof(ListContacts))]
    public Task<IResult> ListContacts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/lists/{listId}/contacts")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListContacts), request, client);

    [Function(nameof(ImportContacts))]
    public Task<IResult> ImportContacts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/lists/{listId}/contacts")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ImportContacts), request, client);

    [Function(nameof(ListDoNotContact))]
    public Task<IResult> ListDoNotContact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/dnc")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListDoNotContact), request, client);

    [Function(nameof(AddDoNotContact))]
    public Task<IResult> AddDoNotContact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/dnc")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(AddDoNotContact), request, client);

    [Function(nameof(RemoveDoNotContact))]
    public Task<IResult> RemoveDoNotContact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/dnc/{number}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(RemoveDoNotContact), request, client);

    [Function(nameof(ImportDoNotContact))]
    public Task<IResult> ImportDoNotContact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/dnc/import")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ImportDoNotContact), request, client);
}
