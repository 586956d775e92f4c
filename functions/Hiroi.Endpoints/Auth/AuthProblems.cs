using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Hiroi.Endpoints.Auth;

/// <summary>The problem details authentication handlers answer with (401, 403, 429), written the same way by each scheme.</summary>
internal static class AuthProblems
{
    public static async Task WriteAsync(HttpContext context, IProblemDetailsService problems, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
