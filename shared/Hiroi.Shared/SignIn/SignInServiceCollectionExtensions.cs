using Hiroi.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Shared.SignIn;

public static class SignInServiceCollectionExtensions
{
    /// <summary>People's accounts and sign-in: sessions, emailed links and codes, TOTP, passkeys, Entra, their limits and audit.</summary>
    public static IServiceCollection AddSignIn(this IServiceCollection services)
    {
        services.AddSection<SignInOptions>(SignInOptions.Section);
        services.AddSingleton<AccountRepository>();
        services.AddSingleton<AccountAudit>();
        services.AddSingleton<AccountAuditInbox>();
        services.AddSingleton<SignInSessionStore>();
        services.AddSingleton<SessionOrgGuard>();
        services.AddSingleton<SignInTokenStore>();
        services.AddSingleton<TrustedDevices>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SignInMailbox>();
        services.AddSingleton<TotpSecretCipher>();
        services.AddSingleton<ConsoleSignIn>();
        services.AddSingleton<FactorChangeRule>();
        services.AddSingleton<TwoFactor>();
        services.AddSingleton<Passkeys>();
        services.AddSingleton<AccountExport>();
        services.AddSection<EntraSignInOptions>(EntraSignInOptions.Section);
        services.AddSingleton<EntraAccounts>();
        return services;
    }
}
