using Hiroi.Shared.Telephony;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hiroi.Shared.Orgs;

public static class OrgServiceCollectionExtensions
{
    /// <summary>An org's life: creation with its owner, members and their roles, deletion (needs the shared core and sign-in).</summary>
    public static IServiceCollection AddOrgs(this IServiceCollection services)
    {
        services.AddSingleton<MemberService>();
        services.AddSingleton<OrganizationService>();
        services.AddSingleton<OrgDeletion>();
        // Deletion releases the org's numbers at once (telephony adds the same, whichever comes first).
        services.TryAddSingleton<PhoneNumberRepository>();
        services.TryAddSingleton<NumberRegistry>();
        return services;
    }
}
