using System.Text.Json.Serialization;
using Hiroi.Durable.Workflows;
using Hiroi.Endpoints.Agents;
using Hiroi.Endpoints.ApiKeys;
using Hiroi.Endpoints.Audit;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Campaigns;
using Hiroi.Endpoints.Health;
using Hiroi.Endpoints.Members;
using Hiroi.Endpoints.OpenApi;
using Hiroi.Endpoints.Orgs;
using Hiroi.Endpoints.Privacy;
using Hiroi.Endpoints.Problems;
using Hiroi.Endpoints.Protection;
using Hiroi.Endpoints.Retention;
using Hiroi.Endpoints.SignIn;
using Hiroi.Endpoints.Telemetry;
using Hiroi.Endpoints.Telephony;
using Hiroi.Endpoints.Widget;
using Hiroi.Shared;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Privacy;
using Hiroi.Shared.Retention;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Telephony.Inbound;
using Hiroi.Shared.TenantSecrets;
using Hiroi.Shared.Voice;
using Hiroi.Shared.Voice.Realtime;
using Hiroi.Shared.Widget;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.Hosting;

/// <summary>What any host (the self-host, the Functions app, tests) calls to get the whole platform.</summary>
public static class HiroiHostingExtensions
{
    /// <summary>The default scheme: forwards to the API key or the session scheme, by what the request carries.</summary>
    public const string CallerScheme = "Caller";

    /// <summary>
    /// Every service of the platform, and nothing that runs by itself: each host adds its Durable Task engine (and the
    /// client the workflow starter calls through), its timers and background services.
    /// </summary>
    public static IServiceCollection AddHiroiCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHiroiShared();
        services.AddSignIn();
        services.AddOrgs();
        services.AddTelephony();
        services.AddAcsEventConsumers();
        services.AddVoice();
        services.AddRealtimeVoice();
        services.AddCampaigns();
        services.AddRetention();
        services.AddPrivacy();
        services.AddAgents();
        services.AddTenantSecrets();
        services.AddWidget();
        services.AddWorkflows();

        services.AddHiroiTelemetry(configuration);
        services.AddHiroiHealth();
        services.AddEventGridWebhook();
        services.AddAgentApi();
        services.AddWidgetApi();
        services.AddConsoleSignIn();

        services.AddHiroiRateLimits();
        services.AddHiroiOpenApi();
        services.AddSection<ProxyOptions>(ProxyOptions.Section);
        services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<ProxyOptions>>((forwarded, proxies) => proxies.Value.ApplyTo(forwarded));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
            c.ProblemDetails.Extensions["traceId"] = c.HttpContext.TraceIdentifier);
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>(); // after the framework's: writes whatever Accept says
        services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures throw, so the exception handler answers them as problem details instead of an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });

        // One scheme per request: an Authorization header means an API key, otherwise the console's session cookie.
        services.AddAuthentication(CallerScheme)
            .AddPolicyScheme(CallerScheme, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey("Authorization") || SessionCookie.Read(context.Request) is null
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : SessionAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null)
            .AddEntraSignIn(configuration);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Member, p => p.RequireAuthenticatedUser().RequireClaim(CallerClaims.OrgId))
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().RequireClaim(CallerClaims.OrgId).RequireRole("owner", "admin"))
            .AddPolicy(Policies.Owner, p => p.RequireAuthenticatedUser().RequireClaim(CallerClaims.OrgId).RequireRole("owner"))
            .AddPolicy(Policies.SignedIn, p => p.RequireAuthenticatedUser().RequireClaim(SessionAuthenticationHandler.AccountClaim))
            .AddPolicy(Policies.SignedInComplete, p => p.RequireAuthenticatedUser().RequireClaim(SessionAuthenticationHandler.CompleteClaim))
            // A route that says nothing needs an org caller (401 without one); anonymous routes opt out with AllowAnonymous.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(CallerClaims.OrgId).Build());
        return services;
    }

    /// <summary>The middleware every host runs in front of the endpoints (the Functions app runs it per invocation).</summary>
    public static IApplicationBuilder UseHiroi(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Before anything reads the body: its size and charset.
        app.UseBodySizeLimits();
        app.UseRequestCharsetCheck();
        app.UseAuthentication();
        // Before anything runs for a cookie-authenticated request: it must prove it comes from the console itself.
        app.UseCsrfProtection();
        // Routing's 405 and 415 need no caller (before authorization, whose fallback policy would demand a sign-in).
        app.UseRoutingRefusals();
        // After authentication, so a caller with a credential draws from its own bucket, not its IP's.
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// The one route table. Health, the Event Grid webhook and call callbacks are anonymous (the webhook and callbacks
    /// authenticate themselves); every console route needs an org member, and its admin routes add the admin policy.
    /// </summary>
    public static IEndpointRouteBuilder MapHiroi(this IEndpointRouteBuilder app)
    {
        app.MapHealth();
        app.MapOpenApiDocument();
        app.MapEventGrid();
        app.MapCallCallbacks();
        // Anonymous routes a stranger can post to read small bodies only.
        var small = app.MapGroup(string.Empty).WithBodySizeLimit(BodySizeLimits.SignInAndWidget);
        small.MapWidget();
        small.MapSignIn();
        small.MapTwoFactor();
        small.MapPasskeys();
        small.MapEntraSignIn();
        small.MapConsolePages();
        app.MapGroup("/api").RequireAuthorization(Policies.Member).MapOrgs().MapMembers().MapApiKeys().MapNumbers().MapOptOuts().MapConversations().MapCalls()
            .MapContacts().MapDoNotContact().MapCampaigns().MapAudit().MapRetention().MapPrivacy().MapAgents().MapUsage().MapTenantSecrets().MapWidgetKeys();
        return app;
    }
}
