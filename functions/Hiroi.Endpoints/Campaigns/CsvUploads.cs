using Hiroi.Shared.Contacts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Hiroi.Endpoints.Campaigns;

/// <summary>What the CSV upload routes (contacts, do-not-contact) accept, and how they answer an upload that changed nothing.</summary>
public static class CsvUploads
{
    /// <summary>CSV as browsers and tools label it (Windows browsers send a .csv file as <c>application/vnd.ms-excel</c>).</summary>
    private static readonly string[] CsvMediaTypes = ["text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"];

    /// <summary>A 415 when the body is not labelled as CSV; null when it is.</summary>
    public static ProblemHttpResult? RefuseIfNotCsv(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return MediaTypeHeaderValue.TryParse(request.ContentType, out var media)
            && CsvMediaTypes.Any(t => media.MediaType.Equals(t, StringComparison.OrdinalIgnoreCase))
            ? null
            : TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the file as text/csv (UTF-8), with a header row naming a phone column.");
    }

    /// <summary>A 400 listing the first row errors, for an upload in which no row could be used (nothing was written).</summary>
    public static ProblemHttpResult NothingImported(long rows, IReadOnlyList<ImportError> errors) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Nothing imported",
            detail: rows == 0 ? "The file has a header but no rows." : $"None of the {rows} rows could be imported; nothing was changed.",
            extensions: new Dictionary<string, object?> { ["errors"] = errors });
}
