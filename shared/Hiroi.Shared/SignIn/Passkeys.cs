using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.SignIn;

/// <summary>One of a person's passkeys: RowKey = <c>pk_{sha256 of the credential id}</c> in their account partition.</summary>
public sealed class PasskeyEntity : TableRow
{
    public const string Prefix = "pk_";

    public string Name { get; set; } = string.Empty;
    public string CredentialId { get; set; } = string.Empty;
    public byte[] PublicKey { get; set; } = [];

    /// <summary>The authenticator's counter at its last use; a use that does not move it forward is refused (a cloned key).</summary>
    public long SignCount { get; set; }

    public bool BackupEligible { get; set; }
    public bool BackedUp { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }

    public static string Key(byte[] credentialId) => Prefix + Convert.ToHexStringLower(SHA256.HashData(credentialId));

    /// <summary>The filter for a person's passkeys: the <c>pk_</c> rows of their partition.</summary>
    public static string OfAccount(string accountId) => TableClient.CreateQueryFilter($"PartitionKey eq {accountId} and RowKey gt {Prefix} and RowKey lt {"pk`"}");
}

/// <summary>
/// A credential id's claim, across all accounts: PartitionKey = <c>cred_{sha256 of the credential id}</c>, RowKey =
/// <c>claim</c>. Added before the passkey row, so a credential belongs to one person (WebAuthn asks that it be unique)
/// at the cost of one point write, not a scan; it goes with the passkey.
/// </summary>
public sealed class PasskeyClaimEntity() : TableRow(RowKeyValue)
{
    public const string Prefix = "cred_";
    public const string RowKeyValue = "claim";

    public string AccountId { get; set; } = string.Empty;

    /// <summary>The claim's partition for a passkey row's key (<c>pk_{hash}</c>).</summary>
    public static string KeyFor(string passkeyRowKey) => Prefix + passkeyRowKey[PasskeyEntity.Prefix.Length..];
}

/// <summary>A ceremony's challenge, server-side: PartitionKey = <c>webauthn_{sha256 of the flow id}</c>, single use, short-lived.</summary>
public sealed class PasskeyChallengeEntity() : TableRow(SignInTokenEntity.RowKeyValue)
{
    /// <summary>register or assert.</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>The person registering; empty for a sign-in (usernameless: the passkey names its person).</summary>
    public string AccountId { get; set; } = string.Empty;

    /// <summary>The options sent to the browser, JSON, to check the response against.</summary>
    public string Options { get; set; } = string.Empty;

    public DateTimeOffset ExpiresAt { get; set; }
}

public enum PasskeyRegistrationRefusal
{
    None,
    NoAccount,
    SecondFactorFirst,
    TooMany,
}

public enum PasskeyRemoval
{
    Removed,
    NotFound,
    SecondFactorFirst,
}

/// <summary>A registration's start: the ceremony, or why there is none.</summary>
public sealed record PasskeyRegistrationStart(PasskeyRegistrationRefusal Refusal, PasskeyCeremony? Ceremony = null);

/// <summary>A ceremony started: its single-use id and the WebAuthn options for <c>navigator.credentials</c>, as JSON.</summary>
public sealed record PasskeyCeremony(string FlowId, JsonElement Options);

public enum PasskeyOutcome
{
    Done,
    Refused,
    Throttled,
}

public sealed record PasskeySignIn(PasskeyOutcome Outcome, string? AccountId = null, DateTimeOffset RetryAt = default);

/// <summary>
/// Passkeys through Fido2 (WebAuthn): registration of several named, discoverable passkeys per person and usernameless
/// sign-in, user verification required in both. Challenges are stored server-side, used once, for a few minutes. Sign
/// counts and backup flags are stored; a sign count that does not move forward, or a backup eligibility that changed, is
/// refused. The client data's origin must be one of the configured origins exactly. RP id and origins are settings.
/// </summary>
public sealed class Passkeys(
    HiroiTables tables, AccountRepository accounts, SignInThrottle throttle, AccountAudit audit, FactorChangeRule factorChanges, IOptions<SignInOptions> options,
    TimeProvider time)
{
    /// <summary>The backup-eligible (BE) bit of the authenticator data's flags, which follow the 32-byte RP id hash.</summary>
    private const int FlagsAt = 32;
    private const byte BackupEligibleFlag = 0x08;

    public const int MaxPerPerson = 20;

    private const string Register = "register";
    private const string Assert = "assert";

    private Fido2 Fido()
    {
        var settings = options.Value;
        return new Fido2(new Fido2Configuration
        {
            RPID = settings.PasskeyRelyingPartyId, RPName = "Hiroi", Origins = settings.PasskeyOriginSet, Timeout = (uint)settings.PasskeyChallengeSeconds * 1000,
        });
    }

    private Task<TableClient> AccountsAsync(CancellationToken cancellationToken) => tables.GetAsync(TableNames.Accounts, cancellationToken);

    public async Task<IReadOnlyList<PasskeyEntity>> ListAsync(string accountId, CancellationToken cancellationToken)
    {
        var table = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        return await table.QueryAsync<PasskeyEntity>(PasskeyEntity.OfAccount(accountId), cancellationToken: cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts registering a passkey for the session's person. A person who has a factor must have shown one in this
    /// session (<see cref="FactorChangeRule"/>): a passkey counts as both factors, so adding one must not take less than
    /// signing in does.
    /// </summary>
    public async Task<PasskeyRegistrationStart> BeginRegistrationAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var accountId = session.Row.AccountId;
        var account = await accounts.FindAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (account is null)
        {
            return new PasskeyRegistrationStart(PasskeyRegistrationRefusal.NoAccount);
        }

        if (!await factorChanges.AllowsAsync(session, cancellationToken).ConfigureAwait(false))
        {
            return new PasskeyRegistrationStart(PasskeyRegistrationRefusal.SecondFactorFirst);
        }

        var existing = await ListAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (existing.Count >= MaxPerPerson)
        {
            return new PasskeyRegistrationStart(PasskeyRegistrationRefusal.TooMany);
        }

        var created = Fido().RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = Encoding.UTF8.GetBytes(accountId), Name = account.Email, DisplayName = account.Email },
            ExcludeCredentials = [.. existing.Select(p => new PublicKeyCredentialDescriptor(Convert.FromBase64String(p.CredentialId)))],
            AuthenticatorSelection = new AuthenticatorSelection { ResidentKey = ResidentKeyRequirement.Required, UserVerification = UserVerificationRequirement.Required },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        return new PasskeyRegistrationStart(PasskeyRegistrationRefusal.None, await StartAsync(Register, accountId, created.ToJson(), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Checks the browser's attestation against the stored challenge and keeps the passkey; null when refused. The
    /// session is checked again: a factor the person gained since the start asks for a session that showed one.
    /// </summary>
    public async Task<PasskeyEntity?> CompleteRegistrationAsync(ActiveSession session, string? flowId, string name, JsonElement credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var accountId = session.Row.AccountId;
        var challenge = await TakeAsync(flowId, Register, cancellationToken).ConfigureAwait(false);
        if (challenge is null || challenge.AccountId != accountId || Parse<AuthenticatorAttestationRawResponse>(credential) is not { Response: not null } response
            || !IsExactlyOurOrigin(response.Response.ClientDataJson) || !await factorChanges.AllowsAsync(session, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        RegisteredPublicKeyCredential registered;
        try
        {
            registered = await Fido().MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response,
                OriginalOptions = CredentialCreateOptions.FromJson(challenge.Options),
                IsCredentialIdUniqueToUserCallback = (args, ct) => IsUnusedAsync(args.CredentialId, ct),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return null;
        }

        var passkey = new PasskeyEntity
        {
            PartitionKey = accountId, RowKey = PasskeyEntity.Key(registered.Id), Name = name, CredentialId = Convert.ToBase64String(registered.Id),
            PublicKey = registered.PublicKey, SignCount = registered.SignCount, BackupEligible = registered.IsBackupEligible, BackedUp = registered.IsBackedUp,
            CreatedAt = time.GetUtcNow(),
        };
        var table = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(new PasskeyClaimEntity { PartitionKey = PasskeyClaimEntity.KeyFor(passkey.RowKey), AccountId = accountId }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null; // the same credential registered meanwhile, by a racing request or for someone else
        }

        await table.UpsertEntityAsync(passkey, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(session, AuditActions.PasskeyAdded, passkey.RowKey, cancellationToken).ConfigureAwait(false);
        return passkey;
    }

    /// <summary>Starts a usernameless sign-in: no credentials listed, so the authenticator offers the passkeys it holds for us.</summary>
    public async Task<PasskeyCeremony> BeginSignInAsync(CancellationToken cancellationToken)
    {
        var assertion = Fido().GetAssertionOptions(new GetAssertionOptionsParams { AllowedCredentials = [], UserVerification = UserVerificationRequirement.Required });
        return await StartAsync(Assert, string.Empty, assertion.ToJson(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the browser's assertion: the passkey's person when it verifies, counted as a failure otherwise.</summary>
    public async Task<PasskeySignIn> CompleteSignInAsync(string? flowId, JsonElement credential, SignInClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var attempt = await throttle.TryAsync(SignInFactor.None, null, client, cancellationToken).ConfigureAwait(false);
        if (!attempt.Allowed)
        {
            return new PasskeySignIn(PasskeyOutcome.Throttled, RetryAt: attempt.RetryAt);
        }

        var accountId = await VerifyAssertionAsync(flowId, credential, cancellationToken).ConfigureAwait(false);
        if (accountId is null)
        {
            return new PasskeySignIn(PasskeyOutcome.Refused); // the try stays spent
        }

        await attempt.NotFailedAsync().ConfigureAwait(false);
        return new PasskeySignIn(PasskeyOutcome.Done, accountId);
    }

    private async Task<string?> VerifyAssertionAsync(string? flowId, JsonElement credential, CancellationToken cancellationToken)
    {
        var challenge = await TakeAsync(flowId, Assert, cancellationToken).ConfigureAwait(false);
        if (challenge is null || Parse<AuthenticatorAssertionRawResponse>(credential) is not { RawId.Length: > 0, Response.UserHandle: { Length: > 0 } handle } response
            || !IsExactlyOurOrigin(response.Response.ClientDataJson))
        {
            return null;
        }

        var accountId = Encoding.UTF8.GetString(handle);
        var table = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        var found = accountId.StartsWith(AccountIds.Prefix, StringComparison.Ordinal) && TableKeys.IsAcceptable(accountId)
            ? await table.GetEntityIfExistsAsync<PasskeyEntity>(accountId, PasskeyEntity.Key(response.RawId), cancellationToken: cancellationToken).ConfigureAwait(false)
            : null;
        if (found?.HasValue != true)
        {
            return null;
        }

        var passkey = found.Value!;
        VerifyAssertionResult verified;
        try
        {
            verified = await Fido().MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = response,
                OriginalOptions = AssertionOptions.FromJson(challenge.Options),
                StoredPublicKey = passkey.PublicKey,
                StoredSignatureCounter = (uint)passkey.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (args, _) => Task.FromResult(args.UserHandle.AsSpan().SequenceEqual(handle)),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return null;
        }

        // A counter that does not move forward means two authenticators hold the key: refuse (zero means the
        // authenticator keeps no counter, as synced passkeys do).
        if ((verified.SignCount != 0 || passkey.SignCount != 0) && verified.SignCount <= passkey.SignCount)
        {
            audit.RecordWithoutOrg(accountId, AuditActions.SignInFailed, "passkey sign count went back");
            return null;
        }

        // Backup eligibility is the credential's for life (WebAuthn §6.1.3): one that changed is another authenticator's.
        if (((response.Response.AuthenticatorData[FlagsAt] & BackupEligibleFlag) != 0) != passkey.BackupEligible)
        {
            audit.RecordWithoutOrg(accountId, AuditActions.SignInFailed, "passkey backup eligibility changed");
            return null;
        }

        passkey.SignCount = verified.SignCount;
        passkey.BackedUp = verified.IsBackedUp;
        passkey.LastUsedAt = time.GetUtcNow();
        try
        {
            await table.UpdateEntityAsync(passkey, passkey.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return null; // used at the same moment elsewhere, or removed: one use wins
        }

        return accountId;
    }

    /// <summary>Removes one of the session's person's passkeys; removing a factor takes a session that showed one.</summary>
    public async Task<PasskeyRemoval> RemoveAsync(ActiveSession session, string passkeyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!passkeyId.StartsWith(PasskeyEntity.Prefix, StringComparison.Ordinal) || !TableKeys.IsAcceptable(passkeyId))
        {
            return PasskeyRemoval.NotFound;
        }

        if (!await factorChanges.AllowsAsync(session, cancellationToken).ConfigureAwait(false))
        {
            return PasskeyRemoval.SecondFactorFirst;
        }

        var table = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        var response = await table.DeleteEntityAsync(session.Row.AccountId, passkeyId, ETag.All, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404)
        {
            return PasskeyRemoval.NotFound;
        }

        await table.DeleteEntityAsync(PasskeyClaimEntity.KeyFor(passkeyId), PasskeyClaimEntity.RowKeyValue, ETag.All, cancellationToken).ConfigureAwait(false);

        await audit.RecordAsync(session, AuditActions.PasskeyRemoved, passkeyId, cancellationToken).ConfigureAwait(false);
        return PasskeyRemoval.Removed;
    }

    private async Task<bool> IsUnusedAsync(byte[] credentialId, CancellationToken cancellationToken)
    {
        var table = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        var claim = await table.GetEntityIfExistsAsync<PasskeyClaimEntity>(
            PasskeyClaimEntity.KeyFor(PasskeyEntity.Key(credentialId)), PasskeyClaimEntity.RowKeyValue, select: ["AccountId"],
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return !claim.HasValue;
    }

    private async Task<PasskeyCeremony> StartAsync(string kind, string accountId, string optionsJson, CancellationToken cancellationToken)
    {
        var flowId = SessionTokens.New();
        var table = await tables.GetAsync(TableNames.SignInTokens, cancellationToken).ConfigureAwait(false);
        await table.AddEntityAsync(new PasskeyChallengeEntity
        {
            PartitionKey = ChallengeKey(SessionTokens.Hash(flowId)!), Kind = kind, AccountId = accountId, Options = optionsJson,
            ExpiresAt = time.GetUtcNow().AddSeconds(options.Value.PasskeyChallengeSeconds),
        }, cancellationToken).ConfigureAwait(false);
        using var json = JsonDocument.Parse(optionsJson);
        return new PasskeyCeremony(flowId, json.RootElement.Clone());
    }

    /// <summary>The ceremony's challenge, consumed: deleted under the ETag read, so a flow completes once; null when unknown, used or expired.</summary>
    private async Task<PasskeyChallengeEntity?> TakeAsync(string? flowId, string kind, CancellationToken cancellationToken)
    {
        if (SessionTokens.Hash(flowId) is not { } hash)
        {
            return null;
        }

        var table = await tables.GetAsync(TableNames.SignInTokens, cancellationToken).ConfigureAwait(false);
        var found = await table.GetEntityIfExistsAsync<PasskeyChallengeEntity>(ChallengeKey(hash), SignInTokenEntity.RowKeyValue, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (!found.HasValue || found.Value!.Kind != kind)
        {
            return null;
        }

        return await table.TryDeleteAsReadAsync(found.Value, cancellationToken).ConfigureAwait(false) && time.GetUtcNow() < found.Value.ExpiresAt ? found.Value : null;
    }

    private static string ChallengeKey(string hash) => "webauthn_" + hash;

    /// <summary>
    /// Whether the client data names one of our origins exactly. Fido2 compares origins reduced to scheme, host and
    /// port, ignoring case, so a trailing slash, a path, user info, an upper-case host or a default port pass it; a
    /// browser serializes its origin one way (RFC 6454), so any other spelling is not a browser on our page.
    /// </summary>
    private bool IsExactlyOurOrigin(byte[]? clientDataJson)
    {
        if (clientDataJson is null)
        {
            return false;
        }

        try
        {
            using var clientData = JsonDocument.Parse(clientDataJson);
            return clientData.RootElement.ValueKind == JsonValueKind.Object
                && clientData.RootElement.EnumerateObject().Where(p => p.NameEquals("origin")).ToList() is [{ Value.ValueKind: JsonValueKind.String } origin]
                && options.Value.PasskeyOriginSet.Contains(origin.Value.GetString()!);
        }
        catch (JsonException)
        {
            return false; // Fido2 refuses it too; this check must not be the one that throws
        }
    }

    /// <summary>
    /// Whether Fido2 refused what the browser sent. Besides its own verification errors, malformed CBOR, keys or
    /// structures surface as whatever the parser threw: all of those are the input's fault. Storage failures and
    /// cancellation are not, and stay errors.
    /// </summary>
    private static bool IsRefusal(Exception e) => e is not (RequestFailedException or OperationCanceledException or OutOfMemoryException);

    private static T? Parse<T>(JsonElement credential) where T : class
    {
        try
        {
            return credential.ValueKind == JsonValueKind.Object ? credential.Deserialize<T>() : null;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null; // not a credential the browser could have made
        }
    }
}
