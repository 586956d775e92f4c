using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Secrets;

namespace Hiroi.Shared.Security;

/// <summary>What a valid callback token vouches for.</summary>
/// <param name="OrgId">The org the call belongs to.</param>
/// <param name="CallId">The call the callback is about.</param>
/// <param name="ExpiresAt">The first instant the token is no longer valid.</param>
/// <param name="KeyId">The id of the signing key that issued it.</param>
public sealed record CallbackTokenClaims(string OrgId, string CallId, DateTimeOffset ExpiresAt, string KeyId);

/// <summary>
/// What a call token opens. Each purpose has its own token prefix, and the prefix is part of what the MAC covers, so a
/// token issued for one purpose is refused for the other: a callback URI's token cannot open the call's media socket,
/// nor the reverse.
/// </summary>
public enum CallTokenPurpose
{
    /// <summary>The callback URI handed to ACS (<c>/api/calls/callbacks</c>); prefix <c>v1.</c>.</summary>
    Callback,

    /// <summary>The media streaming WebSocket ACS opens for a realtime call (<c>/api/calls/media</c>); prefix <c>m1.</c>.</summary>
    MediaStream,
}

/// <summary>
/// Issues and validates the token we put in the callback URI handed to ACS, binding that URI to an org, a call and an
/// expiry, so a callback cannot be replayed against another org or call, or after the token expires.
/// <para>
/// Format: <c>v1.{payload}.{mac}</c> (a callback token) or <c>m1.{payload}.{mac}</c> (a media stream token, see
/// <see cref="CallTokenPurpose"/>), URL-safe. <c>payload</c> is base64url of: key id, org id, call id (each a
/// uint16 big-endian byte length then UTF-8) then the expiry in unix seconds (int64 big-endian). <c>mac</c> is base64url
/// of HMAC-SHA256 over the ASCII text <c>{prefix}{payload}</c>, keyed by the signing key the key id names.
/// </para>
/// <para>
/// Keys come from the secret <see cref="SecretName"/> formatted <c>kid1:base64key1,kid2:base64key2</c> (keys at least
/// 32 bytes): the first signs, all listed keys validate. Rotate by prepending a new key and removing the old one once
/// tokens it signed have expired.
/// </para>
/// </summary>
public sealed class CallbackTokenService
{
    /// <summary>The secret's logical name (Key Vault <c>Calls--CallbackSigningKeys</c>, local settings <c>Hiroi__Calls__CallbackSigningKeys</c>).</summary>
    public const string SecretName = "Calls:CallbackSigningKeys";

    /// <summary>Longest token accepted; anything longer is rejected before decoding.</summary>
    public const int MaxTokenLength = 2048;

    /// <summary>Longest org id or call id (UTF-8 bytes) a token can carry.</summary>
    public const int MaxIdBytes = 512;

    private const string CallbackPrefix = "v1.";
    private const string MediaStreamPrefix = "m1.";
    private const int MacSize = 32;
    private const int MinKeyBytes = 32;
    private const int MaxKeyBytes = 256;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly KeyRingSource _keys;
    private readonly TimeProvider _time;

    public CallbackTokenService(ISecretStore secrets, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(time);
        _keys = new KeyRingSource(secrets, SecretName, MinKeyBytes, MaxKeyBytes);
        _time = time;
    }

    /// <summary>
    /// A token for <paramref name="orgId"/> and <paramref name="callId"/> valid for <paramref name="lifetime"/> from now
    /// (whole seconds, rounded down), signed with the current key. Throws <see cref="SettingException"/> when the signing
    /// keys are missing or malformed.
    /// </summary>
    public Task<string> IssueAsync(string orgId, string callId, TimeSpan lifetime, CancellationToken cancellationToken) =>
        IssueAsync(orgId, callId, lifetime, CallTokenPurpose.Callback, cancellationToken);

    /// <summary>A token for <paramref name="purpose"/>, as <see cref="IssueAsync(string, string, TimeSpan, CancellationToken)"/> otherwise.</summary>
    public async Task<string> IssueAsync(string orgId, string callId, TimeSpan lifetime, CallTokenPurpose purpose, CancellationToken cancellationToken)
    {
        var org = IdBytes(orgId, nameof(orgId));
        var call = IdBytes(callId, nameof(callId));
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.FromSeconds(1));

        var key = (await _keys.GetAsync(cancellationToken).ConfigureAwait(false)).Current;
        var expires = (_time.GetUtcNow() + lifetime).ToUnixTimeSeconds();
        var kid = Encoding.ASCII.GetBytes(key.Id);

        var payload = new byte[2 + kid.Length + 2 + org.Length + 2 + call.Length + 8];
        var rest = payload.AsSpan();
        rest = WriteField(rest, kid);
        rest = WriteField(rest, org);
        rest = WriteField(rest, call);
        BinaryPrimitives.WriteInt64BigEndian(rest, expires);

        var signed = PrefixOf(purpose) + Base64Url.EncodeToString(payload);
        return signed + "." + Base64Url.EncodeToString(Mac(key, signed));
    }

    /// <summary>
    /// The claims of a valid token; null when the token is missing, malformed, signed by an unknown key, has a bad MAC
    /// (compared in constant time) or has expired (valid while now &lt; <see cref="CallbackTokenClaims.ExpiresAt"/>).
    /// Throws only for a configuration fault: <see cref="SettingException"/> when the signing keys are missing or
    /// malformed, <see cref="SecretStoreUnavailableException"/> when the secret store cannot be reached.
    /// </summary>
    public Task<CallbackTokenClaims?> ValidateAsync(string? token, CancellationToken cancellationToken) =>
        ValidateAsync(token, CallTokenPurpose.Callback, cancellationToken);

    /// <summary>
    /// The claims of a valid token issued for <paramref name="purpose"/>; null for a token of another purpose, and as
    /// <see cref="ValidateAsync(string?, CancellationToken)"/> otherwise.
    /// </summary>
    public async Task<CallbackTokenClaims?> ValidateAsync(string? token, CallTokenPurpose purpose, CancellationToken cancellationToken)
    {
        // Everything that needs no key is checked first, so garbage costs no secret read.
        if (!TryParse(token, PrefixOf(purpose), out var signed, out var presentedMac, out var claims))
        {
            return null;
        }

        var key = (await _keys.GetAsync(cancellationToken).ConfigureAwait(false)).Find(claims.KeyId);
        if (key is null || !CryptographicOperations.FixedTimeEquals(Mac(key, signed), presentedMac))
        {
            return null;
        }

        return _time.GetUtcNow() < claims.ExpiresAt ? claims : null;
    }

    private static string PrefixOf(CallTokenPurpose purpose) => purpose switch
    {
        CallTokenPurpose.Callback => CallbackPrefix,
        CallTokenPurpose.MediaStream => MediaStreamPrefix,
        _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "Not a call token purpose."),
    };

    private static byte[] Mac(NamedKey key, string signed) => HMACSHA256.HashData(key.Material.Span, Encoding.ASCII.GetBytes(signed));

    private static byte[] IdBytes(string id, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(id, parameter);
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(id);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("Ids must be valid Unicode text.", parameter, e);
        }

        return bytes.Length <= MaxIdBytes ? bytes : throw new ArgumentException($"Ids are at most {MaxIdBytes} UTF-8 bytes.", parameter);
    }

    private static Span<byte> WriteField(Span<byte> destination, byte[] value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)value.Length);
        value.CopyTo(destination[2..]);
        return destination[(2 + value.Length)..];
    }

    private static bool TryParse(string? token, string prefix, out string signed, out byte[] mac, out CallbackTokenClaims claims)
    {
        (signed, mac, claims) = (string.Empty, [], null!);
        if (token is null || token.Length > MaxTokenLength || !token.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var lastDot = token.LastIndexOf('.');
        if (lastDot < prefix.Length)
        {
            return false;
        }

        var payloadText = token.AsSpan(prefix.Length, lastDot - prefix.Length);
        var macText = token.AsSpan(lastDot + 1);
        if (!CanonicalBase64Url.TryDecode(macText, out var macBytes) || macBytes.Length != MacSize
            || !CanonicalBase64Url.TryDecode(payloadText, out var payload) || !TryReadPayload(payload, out claims))
        {
            return false;
        }

        (signed, mac) = (token[..lastDot], macBytes);
        return true;
    }

    private static bool TryReadPayload(ReadOnlySpan<byte> payload, out CallbackTokenClaims claims)
    {
        claims = null!;
        if (!TryReadField(ref payload, out var kid) || !TryReadField(ref payload, out var org) || !TryReadField(ref payload, out var call)
            || payload.Length != 8)
        {
            return false;
        }

        var expires = BinaryPrimitives.ReadInt64BigEndian(payload);
        if (expires <= 0 || expires > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }

        string keyId, orgId, callId;
        try
        {
            (keyId, orgId, callId) = (StrictUtf8.GetString(kid), StrictUtf8.GetString(org), StrictUtf8.GetString(call));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        if (!KeyRing.IsKeyId(keyId) || orgId.Length == 0 || callId.Length == 0)
        {
            return false;
        }

        claims = new CallbackTokenClaims(orgId, callId, DateTimeOffset.FromUnixTimeSeconds(expires), keyId);
        return true;
    }

    private static bool TryReadField(ref ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (payload.Length < 2)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (length > MaxIdBytes || payload.Length < 2 + length)
        {
            return false;
        }

        value = payload.Slice(2, length);
        payload = payload[(2 + length)..];
        return true;
    }
}
