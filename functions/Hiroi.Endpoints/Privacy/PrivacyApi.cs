using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Privacy;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Privacy;

/// <summary>Names the person by exactly one of a phone number, an email, or a widget visitor id.</summary>
public sealed record SubjectRequest(string? Phone, string? Email, string? VisitorId);

/// <param name="Suppress">Also put the person's numbers on the do-not-contact list, by pseudonym only (default true).</param>
public sealed record ErasureRequest(string? Phone, string? Email, bool? Suppress, string? VisitorId);

/// <summary>Counts per kind of what was erased; no identifiers.</summary>
public sealed record ErasureResponse(IReadOnlyDictionary<string, int> Erased);

/// <summary>
/// GDPR requests about one person (admins): export everything the org holds about them as a JSON download, or erase
/// it all at once. The identifier travels in the body, never the URL (URLs end up in logs). Both are audited without it.
/// </summary>
public static class PrivacyApi
{
    public static RouteGroupBuilder MapPrivacy(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var privacy = api.MapGroup("/privacy").WithTags("Privacy").RequireAuthorization(Policies.Admin);
        privacy.MapPost("/export", ExportAsync).WithName("ExportSubject");
        privacy.MapPost("/erasure", EraseAsync).WithName("EraseSubject");
        return api;
    }

    public static async Task<Results<FileContentHttpResult, ValidationProblem>> ExportAsync(
        SubjectRequest request, ClaimsPrincipal user, SubjectExport export, TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        if (!TryRead(request.Phone, request.Email, request.VisitorId, out var subject, out var validation))
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        // Built in memory first, so a failure is an error status rather than a truncated file.
        using var body = new MemoryStream();
        await export.WriteAsync(user.ToCaller(), subject, body, cancellationToken);
        response.Headers.CacheControl = "no-store";
        return TypedResults.File(body.ToArray(), "application/json", $"subject-export-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}.json");
    }

    public static async Task<Results<Ok<ErasureResponse>, ValidationProblem, ProblemHttpResult>> EraseAsync(
        ErasureRequest request, ClaimsPrincipal user, SubjectErasure erasure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryRead(request.Phone, request.Email, request.VisitorId, out var subject, out var validation))
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var result = await erasure.EraseAsync(user.ToCaller(), subject, request.Suppress ?? true, cancellationToken);
        if (result.RefusedMember)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A member of the org",
                detail: "This email belongs to a member of your org. Remove the membership first (DELETE /api/members/{id}); nothing was erased.");
        }

        return TypedResults.Ok(new ErasureResponse(result.Erased));
    }

    private static bool TryRead(string? phone, string? email, string? visitorId, out DataSubject subject, out Validation validation)
    {
        validation = new Validation();
        subject = new DataSubject(null, null);
        if (new[] { phone, email, visitorId }.Count(v => v is not null) != 1)
        {
            validation.Add("phone", "give exactly one of phone, email or visitorId");
            return false;
        }

        if (visitorId is not null)
        {
            if (!Shared.Widget.WidgetVisitors.IsVisitorId(visitorId))
            {
                validation.Add("visitorId", "must be 1 to 128 characters of text");
                return false;
            }

            subject = DataSubject.ByVisitor(visitorId);
            return true;
        }

        if (phone is not null)
        {
            // A number in international form is taken as stored (E.164, whether or not libphonenumber deems it valid,
            // as ACS delivered it); a national form (US default) is read like a contact import.
            if (phone.TrimStart().StartsWith('+') && E164.TryNormalize(phone, out var stored))
            {
                subject = DataSubject.ByPhone(stored);
                return true;
            }

            if (!ContactNumbers.TryParse(phone, "US", out var e164, out var error))
            {
                validation.Add("phone", error);
                return false;
            }

            subject = DataSubject.ByPhone(e164);
            return true;
        }

        if (!MemberEmails.TryNormalize(email, out var normalized))
        {
            validation.Add("email", "must be an email address");
            return false;
        }

        subject = DataSubject.ByEmail(normalized);
        return true;
    }
}
