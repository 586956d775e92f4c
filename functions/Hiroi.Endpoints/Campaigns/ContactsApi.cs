using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Campaigns;

public sealed record CreateListRequest(string? Name);

public sealed record ListResponse(string Id, string Name, DateTimeOffset CreatedAt);

public sealed record ContactResponse(string Number, string? Name, string? Email, string? TimeZone, bool? SmsConsent, bool? CallConsent, DateTimeOffset? ConsentAt);

public sealed record ContactPage(ContactResponse[] Contacts, string? Next);

/// <summary>
/// Contact lists and their CSV import (admin+). The import streams the request body (<c>text/csv</c>); numbers without a
/// '+' are read in <c>?region=</c> (default US). Bad rows are reported by line number; the good ones are kept.
/// </summary>
public static class ContactsApi
{
    public static RouteGroupBuilder MapContacts(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var lists = api.MapGroup("/lists").WithTags("Contacts");
        lists.MapGet("/", ListAsync).WithName("ListContactLists");
        lists.MapPost("/", CreateAsync).WithName("CreateContactList").RequireAuthorization(Policies.Admin);
        lists.MapGet("/{listId}/contacts", ContactsAsync).WithName("ListContacts");
        lists.MapPost("/{listId}/contacts", ImportAsync).WithName("ImportContacts").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<ListResponse[]>> ListAsync(ClaimsPrincipal user, ContactListRepository lists, CancellationToken cancellationToken) =>
        TypedResults.Ok(await lists.ListAsync(user.ToCaller().OrgId, cancellationToken)
            .Select(l => new ListResponse(l.RowKey, l.Name, l.CreatedAt)).ToArrayAsync(cancellationToken));

    public static async Task<Results<Created<ListResponse>, ValidationProblem>> CreateAsync(
        CreateListRequest request, ClaimsPrincipal user, ContactListRepository lists, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!DisplayText.TryClean(request.Name, 200, out var name))
        {
            return TypedResults.ValidationProblem(new Validation().Add("name", "is required, at most 200 printable characters").Errors);
        }

        var list = new ContactListEntity { RowKey = ContactListEntity.NewId(), Name = name, CreatedAt = time.GetUtcNow() };
        await lists.AddAsync(user.ToCaller().OrgId, list, cancellationToken);
        return TypedResults.Created($"/api/lists/{list.RowKey}", new ListResponse(list.RowKey, list.Name, list.CreatedAt));
    }

    public static async Task<Results<Ok<ContactPage>, ProblemHttpResult>> ContactsAsync(
        string listId, string? next, ClaimsPrincipal user, ContactListRepository lists, ContactRepository contacts, CancellationToken cancellationToken)
    {
        var org = user.ToCaller().OrgId;
        if (await lists.FindAsync(org, listId, cancellationToken) is null)
        {
            return OrgProblems.NotFound("list");
        }

        var (page, continuation) = await contacts.PageAsync(org, listId, 500, next, cancellationToken);
        return TypedResults.Ok(new ContactPage(
            page.Select(c => new ContactResponse(c.Number, c.Name, c.Email, c.TimeZone, c.SmsConsent, c.CallConsent, c.ConsentAt)).ToArray(), continuation));
    }

    public static async Task<Results<Ok<ImportResult>, ProblemHttpResult, ValidationProblem>> ImportAsync(
        string listId, string? region, HttpRequest request, ClaimsPrincipal user, ContactListRepository lists, ContactImporter importer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = user.ToCaller();
        if (await lists.FindAsync(caller.OrgId, listId, cancellationToken) is null)
        {
            return OrgProblems.NotFound("list");
        }

        if (CsvUploads.RefuseIfNotCsv(request) is { } refusal)
        {
            return refusal;
        }

        region = (region ?? "US").ToUpperInvariant();
        if (!ContactNumbers.IsKnownRegion(region))
        {
            return TypedResults.ValidationProblem(new Validation().Add("region", "must be an ISO 3166 region code such as US").Errors);
        }

        var result = await importer.ImportAsync(caller, listId, request.Body, region, cancellationToken);
        return result.Imported + result.DuplicatesMerged == 0 ? CsvUploads.NothingImported(result.Rows, result.Errors) : TypedResults.Ok(result);
    }
}
