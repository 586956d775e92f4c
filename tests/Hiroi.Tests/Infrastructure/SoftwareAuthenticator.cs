using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// A platform authenticator in software (ES256, "none" attestation, discoverable, user verification done), answering
/// WebAuthn options the way a browser's <c>PublicKeyCredential.toJSON()</c> does, built from the spec's byte layouts:
/// authenticator data = rpIdHash | flags | signCount | attested credential data (aaguid | id length | id | COSE key).
/// </summary>
public sealed class SoftwareAuthenticator(string origin, string rpId) : IDisposable
{
    private const byte UserPresent = 0x01, UserVerified = 0x04, BackupEligibleFlag = 0x08, BackedUp = 0x10, AttestedData = 0x40;

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private byte[] _userHandle = [];

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>The counter the next assertion reports; tests set it back to act as a cloned key.</summary>
    public uint SignCount { get; set; }

    public bool VerifiesUser { get; set; } = true;

    /// <summary>The origin the browser reports in the client data; tests respell it to act as another page.</summary>
    public string Origin { get; set; } = origin;

    /// <summary>The backup-eligible flag (BE), a property of the credential for life; tests flip it to act as another key.</summary>
    public bool BackupEligible { get; set; } = true;

    public JsonObject Create(JsonElement options)
    {
        _userHandle = Base64Url.DecodeFromChars(options.GetProperty("user").GetProperty("id").GetString());
        var clientData = ClientData("webauthn.create", options.GetProperty("challenge").GetString()!);
        var parameters = _key.ExportParameters(false);
        var cose = new CborWriter();
        cose.WriteStartMap(5);
        cose.WriteInt32(1); // kty: EC2
        cose.WriteInt32(2);
        cose.WriteInt32(3); // alg: ES256
        cose.WriteInt32(-7);
        cose.WriteInt32(-1); // crv: P-256
        cose.WriteInt32(1);
        cose.WriteInt32(-2); // x
        cose.WriteByteString(parameters.Q.X!);
        cose.WriteInt32(-3); // y
        cose.WriteByteString(parameters.Q.Y!);
        cose.WriteEndMap();
        var attested = new byte[16].Concat(BigEndian((ushort)CredentialId.Length)).Concat(CredentialId).Concat(cose.Encode()).ToArray();
        var authData = AuthenticatorData((byte)(AttestedData | Flags()), attested);
        var attestation = new CborWriter();
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt");
        attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt");
        attestation.WriteStartMap(0);
        attestation.WriteEndMap();
        attestation.WriteTextString("authData");
        attestation.WriteByteString(authData);
        attestation.WriteEndMap();
        return new JsonObject
        {
            ["id"] = Base64Url.EncodeToString(CredentialId), ["rawId"] = Base64Url.EncodeToString(CredentialId), ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["attestationObject"] = Base64Url.EncodeToString(attestation.Encode()), ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
                ["transports"] = new JsonArray("internal"),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    public JsonObject Get(JsonElement options)
    {
        var clientData = ClientData("webauthn.get", options.GetProperty("challenge").GetString()!);
        SignCount++;
        var authData = AuthenticatorData(Flags(), []);
        var signature = _key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new JsonObject
        {
            ["id"] = Base64Url.EncodeToString(CredentialId), ["rawId"] = Base64Url.EncodeToString(CredentialId), ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["authenticatorData"] = Base64Url.EncodeToString(authData), ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
                ["signature"] = Base64Url.EncodeToString(signature), ["userHandle"] = Base64Url.EncodeToString(_userHandle),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    private byte Flags() => (byte)(UserPresent | (BackupEligible ? BackupEligibleFlag | BackedUp : 0) | (VerifiesUser ? UserVerified : 0));

    private byte[] AuthenticatorData(byte flags, byte[] attested) =>
        [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), flags, .. BigEndian(SignCount), .. attested];

    private byte[] ClientData(string type, string challenge) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["type"] = type, ["challenge"] = challenge, ["origin"] = Origin, ["crossOrigin"] = false });

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] BigEndian(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    public void Dispose() => _key.Dispose();
}
