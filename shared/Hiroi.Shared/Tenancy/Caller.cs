namespace Hiroi.Shared.Tenancy;

/// <summary>
/// The authenticated principal of a request or job. Repositories take their org id from here, never from a
/// request body, so one org cannot name another org's rows.
/// </summary>
/// <param name="OrgId">The org the caller acts for.</param>
/// <param name="ActorId">Who acts: <c>apikey:{id}</c>, <c>member:{id}</c> or <c>system:{job}</c>. No personal data.</param>
/// <param name="Role">The caller's role in the org.</param>
public sealed record Caller(OrgId OrgId, string ActorId, Role Role)
{
    public bool IsAtLeast(Role role) => Role >= role;

    /// <summary>A caller for platform jobs (bootstrap, event handlers) acting inside one org.</summary>
    public static Caller System(OrgId orgId, string job) => new(orgId, "system:" + job, Role.Owner);
}
