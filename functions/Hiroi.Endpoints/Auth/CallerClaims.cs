using System.Security.Claims;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Endpoints.Auth;

/// <summary>Maps a <see cref="Caller"/> to claims and back; endpoints take their org id only from here.</summary>
public static class CallerClaims
{
    public const string OrgId = "hiroi:org";
    public const string Actor = "hiroi:actor";

    public static ClaimsPrincipal ToPrincipal(Caller caller, string scheme)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var identity = new ClaimsIdentity(
            [new Claim(OrgId, caller.OrgId.Value), new Claim(Actor, caller.ActorId), new Claim(ClaimTypes.Role, caller.Role.ToWire())],
            scheme, Actor, ClaimTypes.Role);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The authenticated caller; endpoints behind authorization always have one.</summary>
    public static Caller ToCaller(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!Shared.Tenancy.OrgId.TryParse(user.FindFirstValue(OrgId), out var org)
            || !Roles.TryParse(user.FindFirstValue(ClaimTypes.Role), out var role)
            || user.FindFirstValue(Actor) is not { Length: > 0 } actor)
        {
            throw new UnauthorizedAccessException("The request is not authenticated as an org caller.");
        }

        return new Caller(org, actor, role);
    }
}

public static class Policies
{
    /// <summary>Any authenticated member of an org.</summary>
    public const string Member = "org.member";

    /// <summary>Owners and admins.</summary>
    public const string Admin = "org.admin";

    /// <summary>Owners only (deleting the org).</summary>
    public const string Owner = "org.owner";

    /// <summary>A person with a console session, perhaps still owing a second factor (sign-out, the second step).</summary>
    public const string SignedIn = "person.signed_in";

    /// <summary>A person who has passed every sign-in step (managing their own sessions, passkeys and TOTP).</summary>
    public const string SignedInComplete = "person.complete";
}
