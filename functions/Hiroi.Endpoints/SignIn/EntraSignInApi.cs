using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.SignIn;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hiroi.Endpoints.SignIn;

/// <summary>
/// Microsoft Entra ID sign-in through ASP.NET Core's OpenID Connect handler: authorization code with PKCE, state and
/// nonce (its correlation and nonce cookies), the id token validated against the authority's keys, its issuer's tenant
/// on the allow-list. The handler answers its callback path itself in <c>UseAuthentication</c>, which both hosts run;
/// instead of signing in to a cookie of its own it hands the identity to <see cref="EntraAccounts"/> and starts a
/// console session, then sends the browser back to the sign-in page.
/// </summary>
public static class EntraSignInApi
{
    public const string SchemeName = "Entra";

    public static AuthenticationBuilder AddEntraSignIn(this AuthenticationBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var entra = configuration.GetSection(EntraSignInOptions.Section).Get<EntraSignInOptions>() ?? new EntraSignInOptions();
        if (!entra.IsConfigured)
        {
            return builder; // off: its routes answer 404
        }

        return builder.AddOpenIdConnect(SchemeName, o =>
        {
            o.Authority = entra.Authority;
            o.ClientId = entra.ClientId;
            o.ResponseType = "code";
            o.UsePkce = true;
            // The answer comes back as a top-level GET, which carries SameSite=Lax cookies (a form post from Entra would not).
            o.ResponseMode = "query";
            o.CallbackPath = EntraSignInOptions.CallbackPath;
            o.RequireHttpsMetadata = entra.RequireHttpsMetadata;
            o.MapInboundClaims = false;
            o.SaveTokens = false;
            o.GetClaimsFromUserInfoEndpoint = false;
            o.Scope.Add("email");
            // The metadata's issuer is a template (https://login.microsoftonline.com/{tenantid}/v2.0) for multi-tenant authorities.
            o.TokenValidationParameters.IssuerValidatorUsingConfiguration = (issuer, token, _, metadata) => ValidIssuer(issuer, token, metadata?.Issuer, entra.AllowedTenantSet);
            o.Events = new OpenIdConnectEvents
            {
                OnRedirectToIdentityProvider = context =>
                {
                    context.ProtocolMessage.Prompt = "select_account";
                    return Task.CompletedTask;
                },
                OnAuthorizationCodeReceived = async context =>
                {
                    var secret = await context.HttpContext.RequestServices.GetRequiredService<ISecretStore>()
                        .GetAsync(EntraSignInOptions.ClientSecretName, context.HttpContext.RequestAborted);
                    if (!string.IsNullOrEmpty(secret))
                    {
                        context.TokenEndpointRequest!.ClientSecret = secret;
                    }
                },
                OnTicketReceived = StartSessionAsync,
                OnRemoteFailure = context =>
                {
                    context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EntraSignInApi))
                        .LogWarning("Entra ID sign-in failed: {Error}", context.Failure?.GetType().Name);
                    context.Response.Redirect("/console/signin#error=entra");
                    context.HandleResponse();
                    return Task.CompletedTask;
                },
            };
        });
    }

    public static IEndpointRouteBuilder MapEntraSignIn(this IEndpointRouteBuilder app)
    {
        var entra = app.MapGroup("/auth/entra").WithTags("Sign-in").AllowAnonymous();
        entra.MapGet("/start", Start).WithName("StartEntraSignIn");
        // Reached only when Entra sign-in is off: when on, the handler answers this path before routing.
        entra.MapGet("/callback", () => NotConfigured()).WithName("EntraSignInCallback");
        return app;
    }

    public static IResult Start(IOptions<EntraSignInOptions> options) =>
        options.Value.IsConfigured
            ? TypedResults.Challenge(new AuthenticationProperties { RedirectUri = "/console/signin" }, [SchemeName])
            : NotConfigured();

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotConfigured() =>
        TypedResults.Problem(statusCode: 404, title: "Not found", detail: "Entra ID sign-in is not configured here.");

    /// <summary>The issuer must be the authority's, for the token's own tenant, and that tenant must be on the allow-list.</summary>
    private static string ValidIssuer(string issuer, SecurityToken token, string? template, IReadOnlySet<string> allowed)
    {
        var tenant = (token as JsonWebToken)?.TryGetPayloadValue<string>("tid", out var tid) == true ? tid : null;
        if (tenant is not null && template is not null && allowed.Contains(tenant)
            && string.Equals(template.Replace("{tenantid}", tenant, StringComparison.OrdinalIgnoreCase), issuer, StringComparison.Ordinal))
        {
            return issuer;
        }

        throw new SecurityTokenInvalidIssuerException("The token's tenant is not allowed to sign in here.");
    }

    private static async Task StartSessionAsync(TicketReceivedContext context)
    {
        context.HandleResponse();
        var services = context.HttpContext.RequestServices;
        var user = context.Principal ?? new ClaimsPrincipal();
        var identity = new EntraIdentity(
            user.FindFirstValue("tid") ?? string.Empty,
            user.FindFirstValue("oid") ?? string.Empty,
            user.FindFirstValue("email"),
            user.FindFirstValue("email_verified") == "true" || user.FindFirstValue("xms_edov") is "true" or "1",
            user.FindAll("amr").Any(c => c.Value == "mfa"));
        var accountId = await services.GetRequiredService<EntraAccounts>().FindAsync(identity, context.HttpContext.RequestAborted);
        if (accountId is null)
        {
            context.Response.Redirect("/console/signin#error=entra-unknown");
            return;
        }

        var result = await services.GetRequiredService<ConsoleSignIn>().StartAsync(
            accountId, "entra", SignInApi.Client(context.HttpContext), context.HttpContext.RequestAborted, secondFactorShown: identity.MultiFactor);
        if (result.Session is { } session)
        {
            SessionCookie.Write(context.Response, session);
            await DeviceCookie.RememberAsync(context.HttpContext, session, context.HttpContext.RequestAborted);
        }

        context.Response.Redirect("/console/signin");
    }
}
