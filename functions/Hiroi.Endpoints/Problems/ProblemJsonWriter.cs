using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Problems;

/// <summary>
/// Writes problem details whatever the request's Accept header lists. The framework's writer declines a request that does
/// not accept JSON (<c>Accept: text/html</c>, <c>text/plain</c>), and then status code pages answered an empty or plain-text
/// body and the exception handler and authentication challenges a 500 with none. Registered after the framework's writer,
/// so it is asked only when that one declines: every error is <c>application/problem+json</c>.
/// </summary>
internal sealed class ProblemJsonWriter(IOptions<JsonOptions> json, IOptions<ProblemDetailsOptions> options) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = context.ProblemDetails;
        var response = context.HttpContext.Response;
        problem.Status ??= response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(response.WriteAsJsonAsync(problem, json.Value.SerializerOptions, "application/problem+json", context.HttpContext.RequestAborted));
    }
}
