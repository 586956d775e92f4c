using System.Globalization;
using System.Text.Encodings.Web;
using Hiroi.Shared.ApiKeys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Auth;

/// <summary>
/// <c>Authorization: Bearer hiroi_sk_...</c>. Failures answer 401 problem details that never say which part was wrong;
/// a throttled client gets 429 with Retry-After.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyVerifier verifier,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string RetryAtItem = "hiroi.apikey.retryAt";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Unsupported authorization scheme.");
        }

        // RFC 6750: "Bearer" 1*SP token. The token itself is taken as sent: ApiKeyFormat accepts only its one spelling.
        var token = header["Bearer ".Length..].TrimStart(' ');
        if (!token.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal))
        {
            // Not one of our keys (ACS's callback JWT, Event Grid's Entra token): the route that takes it checks it, and
            // its sender's address spends no API-key failures. A protected route still answers 401.
            return AuthenticateResult.NoResult();
        }

        var client = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var result = await verifier.VerifyAsync(token, client, Context.RequestAborted);
        switch (result.Outcome)
        {
            case ApiKeyOutcome.Accepted:
                return AuthenticateResult.Success(new AuthenticationTicket(CallerClaims.ToPrincipal(result.Caller!, SchemeName), SchemeName));
            case ApiKeyOutcome.Throttled:
                Context.Items[RetryAtItem] = result.RetryAt;
                Logger.LogWarning("API key verification throttled for this client");
                return AuthenticateResult.Fail("Too many failed attempts.");
            default:
                return AuthenticateResult.Fail("Invalid API key.");
        }
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAtItem] is DateTimeOffset retryAt)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling((retryAt - TimeProvider.GetUtcNow()).TotalSeconds));
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await WriteProblemAsync(StatusCodes.Status429TooManyRequests, "Too many failed attempts", "Wait before trying again.");
            return;
        }

        Response.Headers.WWWAuthenticate = "Bearer";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            "Sign in, or send a valid API key as 'Authorization: Bearer <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden", "Your role does not allow this.");

    private Task WriteProblemAsync(int status, string title, string detail) => AuthProblems.WriteAsync(Context, problems, status, title, detail);
}
