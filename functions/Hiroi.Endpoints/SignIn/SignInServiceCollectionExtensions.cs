using Hiroi.Shared.HandOffs;
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
    /// The self-host's readers of what sign-in hands off the request path (its mails, audit entries an address alone can
    /// cause), from their durable queues. The Functions app reads the same queues with queue triggers instead; the core
    /// adds nothing that runs by itself.
    /// </summary>
    public static IServiceCollection AddSignInBackgroundWork(this IServiceCollection services)
    {
        services.AddHostedService<HandOffDrain<SignInMailRequest>>();
        services.AddHostedService<HandOffDrain<AccountAuditEntry>>();
        return services;
    }
}
