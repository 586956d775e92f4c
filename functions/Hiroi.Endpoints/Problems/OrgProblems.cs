using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hiroi.Endpoints.Problems;

public static class OrgProblems
{
    /// <summary>
    /// The one answer for a row the caller's org does not have, whether it does not exist or another org owns it: the
    /// response never tells the two apart.
    /// </summary>
    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"Your org has no such {what}.");
}
