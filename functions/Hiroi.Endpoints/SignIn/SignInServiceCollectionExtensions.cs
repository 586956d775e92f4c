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

    /// <summary>The background sender of sign-in mails; each host adds it (the core adds nothing that runs by itself).</summary>
    public static IServiceCollection AddSignInMailSender(this IServiceCollection services)
    {
        services.AddHostedService<SignInMailSender>();
        return services;
    }
}
