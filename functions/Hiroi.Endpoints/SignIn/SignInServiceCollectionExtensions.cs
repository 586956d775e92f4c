using Hiroi.Shared.SignIn;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Endpoints.SignIn;

public static class SignInServiceCollectionExtensions
{
    /// <summary>What the sign-in routes add to the shared sign-in services: session views for answers, the org 2FA rule.</summary>
    public static IServiceCollection AddConsoleSignIn(this IServiceCollection services)
    {
        services.AddSingleton<SessionViews>();
        services.AddSingleton<OrgTwoFactorPolicy>();
        return services;
    }

    /// <summary>
    /// What sign-in does off the request path: sending its mails, writing audit entries an address alone can cause. Each
    /// host adds it (the core adds nothing that runs by itself).
    /// </summary>
    public static IServiceCollection AddSignInBackgroundWork(this IServiceCollection services)
    {
        services.AddHostedService<SignInMailSender>();
        services.AddHostedService<AccountAuditWriter>();
        return services;
    }
}
