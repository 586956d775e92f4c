using System.Runtime.CompilerServices;
using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Contacts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Campaigns;

public sealed record DoNotContactRequest(string? Number, string? Reason);

/// <summary>A do-not-contact entry; <see cref="Number"/> is null once the person was erased (the entry still holds).</summary>
public sealed record DoNotContactResponse(string? Number, DateTimeOffset AddedAt, string? Reason);

public sealed record DoNotContactImportResult(long Added, long Rejected, IReadOnlyList<ImportError> Errors);

/// <summary>The org's do-not-contact list (admin+ to change): add, remove, list, and import from a CSV with a phone column.</summary>
public static class DoNotContactApi
{
    public static RouteGroupBuilder MapDoNotContact(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var dnc = api.MapGroup("/dnc").WithTags("Do not contact");
        dnc.MapGet("/", ListAsync).WithName("ListDoNotContact");
        dnc.MapPost("/", AddAsync).WithName("AddDoNotContact").RequireAuthorization(Policies.Admin);
        dnc.MapDelete("/{number}", RemoveAsync).WithName("RemoveDoNotContact").RequireAuthorization(Policies.Admin);
        dnc.MapPost("/import", ImportAsync).WithName("ImportDoNotContact").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<DoNotContactResponse[]>> ListAsync(ClaimsPrincipal user, DoNotContactRepository entries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await entries.ListAsync(user.ToCaller().OrgId, cancellationToken)
            .OrderBy(e => e.Number ?? "~", StringComparer.Ordinal) // rows are keyed by pseudonym; erased entries last
            .Select(e => new DoNotContactResponse(e.Number, e.AddedAt, e.Reason)).ToArrayAsync(cancellationToken));

    public static async Task<Results<Created<DoNotContactResponse>, Ok<DoNotContactResponse>, ValidationProblem>> AddAsync(
        DoNotContactRequest request, ClaimsPrincipal user, DoNotContactList list, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!ContactNumbers.TryParse(request.Number, "US", out var e164, out var error))
        {
            return TypedResults.ValidationProblem(new Validation().Add("number", error).Errors);
        }

        if (request.Reason is { Length: > 200 })
        {
            return TypedResults.ValidationProblem(new Validation().Add("reason", "is at most 200 characters").Errors);
        }

        var added = await list.AddAsync(user.ToCaller(), e164, request.Reason, cancellationToken);
        var body = new DoNotContactResponse(e164, time.GetUtcNow(), request.Reason);
        return added ? TypedResults.Created($"/api/dnc/{Uri.EscapeDataString(e164)}", body) : TypedResults.Ok(body);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string number, ClaimsPrincipal user, DoNotContactList list, CancellationToken cancellationToken) =>
        ContactNumbers.TryParse(number, "US", out var e164, out _) && await list.RemoveAsync(user.ToCaller(), e164, cancellationToken)
            ? TypedResults.NoContent()
            : OrgProblems.NotFound("do-not-contact entry");

    public static async Task<Results<Ok<DoNotContactImportResult>, ProblemHttpResult>> ImportAsync(
        HttpRequest request, ClaimsPrincipal user, DoNotContactList list, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CsvUploads.RefuseIfNotCsv(request) is { } refusal)
        {
            return refusal;
        }

        var errors = new List<ImportError>();
        long added = 0, rejected = 0;
        async IAsyncEnumerable<string> Valid([EnumeratorCancellation] CancellationToken ct = default)
        {
            await foreach (var row in NumberColumn.ReadAsync(request.Body, ct))
            {
                if (ContactNumbers.TryParse(row.Text, "US", out var e164, out var error))
                {
                    added++;
                    yield return e164;
                }
                else
                {
                    rejected++;
                    if (errors.Count < ContactImporter.MaxReportedErrors)
                    {
                        errors.Add(new ImportError(row.Line, error));
                    }
                }
            }
        }

        await list.AddManyAsync(user.ToCaller(), Valid(cancellationToken), "import", cancellationToken);
        return added == 0 ? CsvUploads.NothingImported(rejected, errors) : TypedResults.Ok(new DoNotContactImportResult(added, rejected, errors));
    }
}
