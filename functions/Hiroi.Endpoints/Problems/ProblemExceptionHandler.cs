using Hiroi.Shared;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Hiroi.Endpoints.Problems;

/// <summary>
/// The one place exceptions become RFC 9457 problem details. Client mistakes keep their 4xx; transient dependency faults
/// are 503 (retryable); anything else is a bare 500 with no message, stack or internal id.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == 413 ? "Request too large" : "Malformed request", ClientDetail(bad)),
            ConflictException conflict => (409, "Conflict", conflict.Message),
            Hiroi.Shared.Contacts.ContactFileException file => (400, "Unreadable file", file.Message),
            UnauthorizedAccessException denied => (403, "Forbidden", denied.Message),
            SecretStoreUnavailableException => (503, "A dependency is unavailable", "Try again shortly."),
            _ when TransientFaults.IsTransient(exception) => (503, "A dependency is unavailable", "Try again shortly."),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed request", null),
            _ => (500, "Unexpected error", null),
        };

        if (status >= 500)
        {
            logger.LogError(exception, "Request failed with {StatusCode}", status);
        }

        httpContext.Response.StatusCode = status;
        if (status == 503)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    // Framework messages about bodies and parameters are safe to show and help the client fix the request.
    private static string ClientDetail(BadHttpRequestException bad) =>
        bad.InnerException is System.Text.Json.JsonException ? "The body is not valid JSON of the expected shape." : bad.Message;
}
