using Hiroi.Shared.Configuration;
using Hiroi.Shared.HandOffs;
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
        services.AddSingleton<HandOffInbox<AccountAuditEntry>>(sp => sp.GetRequiredService<AccountAuditInbox>());
        services.AddSingleton<IHandOffHandler<AccountAuditEntry>, AccountAuditWriter>();
        services.AddSingleton<SignInSessionStore>();
        services.AddSingleton<SessionOrgGuard>();
        services.AddSingleton<SignInTokenStore>();
        services.AddSingleton<TrustedDevices>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SignInMailbox>();
        services.AddSingleton<HandOffInbox<SignInMailRequest>>(sp => sp.GetRequiredService<SignInMailbox>());
        services.AddSingleton<SignInMailSender>();
        services.AddSingleton<IHandOffHandler<SignInMailRequest>>(sp => sp.GetRequiredService<SignInMailSender>());
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
