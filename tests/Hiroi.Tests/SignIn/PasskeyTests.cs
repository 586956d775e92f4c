using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// Passkeys over HTTP with a software authenticator: registration by a signed-in person, usernameless sign-in that counts
/// as both factors, single-use challenges, sign-count regressions and missing user verification refused, removal; and
/// the WebAuthn Level 3 test vector (none, ES256) checked through Fido2.
/// </summary>
public sealed class PasskeyTests(SimulatedAcsApp app) : IClassFixture<SimulatedAcsApp>
{
    private async Task<ConsolePerson> SignedInAsync()
    {
        var org = await app.CreateOrgAsync("Passkeys " + Guid.NewGuid().ToString("N")[..6], $"owner-{Guid.NewGuid():N}@example.com");
        using var owner = app.ClientWithKey(org.OwnerApiKey);
        var email = $"person-{Guid.NewGuid():N}@example.com";
        await owner.PostAsJsonAsync("/api/members", new { email, role = "admin" });
        var person = new ConsolePerson(app, email);
        await person.NextMailAsync(0);
        await person.SignInByLinkAsync();
        return person;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private static async Task<HttpResponseMessage> RegisterAsync(ConsolePerson person, SoftwareAuthenticator authenticator, string name)
    {
        var ceremony = await JsonAsync(await person.PostAsync("/auth/passkeys"));
        var options = ceremony.GetProperty("options");
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("userVerification").GetString());
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        return await person.PostAsync("/auth/passkeys/complete", new { flowId = ceremony.GetProperty("flowId").GetString(), name, credential = authenticator.Create(options) });
    }

    private static async Task<HttpResponseMessage> SignInAsync(ConsolePerson person, SoftwareAuthenticator authenticator)
    {
        var ceremony = await JsonAsync(await person.PostAsync("/auth/passkeys/sign-in"));
        Assert.Empty(ceremony.GetProperty("options").GetProperty("allowCredentials").EnumerateArray()); // usernameless
        return await person.PostAsync("/auth/passkeys/sign-in/complete",
            new { flowId = ceremony.GetProperty("flowId").GetString(), credential = authenticator.Get(ceremony.GetProperty("options")) });
    }

    [Fact]
    public async Task A_person_registers_named_passkeys_signs_in_without_a_username_and_removes_one()
    {
        using var person = await SignedInAsync();
        using var laptop = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        using var phone = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(person, laptop, "Laptop")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(person, laptop)).StatusCode); // a second passkey takes the first
        var second = await RegisterAsync(person, phone, "Phone");
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var listed = await person.Http.GetFromJsonAsync<JsonElement>("/auth/passkeys");
        Assert.Equal(["Laptop", "Phone"], listed.EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order());
        Assert.All(listed.EnumerateArray(), p => Assert.True(p.GetProperty("backedUp").GetBoolean()));

        await person.SendAsync(HttpMethod.Delete, "/auth/session");
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.Http.GetAsync("/api/orgs/current")).StatusCode);
        var signedIn = await SignInAsync(person, laptop);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        var session = await JsonAsync(signedIn);
        Assert.Equal("ready", session.GetProperty("next").GetString());
        Assert.True(session.GetProperty("twoFactorShown").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await person.Http.GetAsync("/api/orgs/current")).StatusCode);

        var phoneId = (await JsonAsync(second)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await person.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{phoneId}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await person.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{phoneId}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await SignInAsync(person, phone), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_challenge_works_once_a_cloned_key_and_a_missing_user_verification_are_refused()
    {
        using var person = await SignedInAsync();
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(person, key, "Key")).StatusCode);

        var ceremony = await JsonAsync(await person.PostAsync("/auth/passkeys/sign-in"));
        var flowId = ceremony.GetProperty("flowId").GetString();
        var assertion = key.Get(ceremony.GetProperty("options"));
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/passkeys/sign-in/complete", new { flowId, credential = assertion })).StatusCode);
        await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/passkeys/sign-in/complete", new { flowId, credential = assertion }), HttpStatusCode.Unauthorized);

        key.SignCount -= 1; // the next assertion repeats the last count: a clone
        await ProblemAssert.IsProblemAsync(await SignInAsync(person, key), HttpStatusCode.Unauthorized);
        key.SignCount += 5;
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(person, key)).StatusCode);

        key.VerifiesUser = false;
        await ProblemAssert.IsProblemAsync(await SignInAsync(person, key), HttpStatusCode.Unauthorized);

        using var stranger = new SoftwareAuthenticator("https://evil.example", "localhost");
        await ProblemAssert.IsProblemAsync(await RegisterAsync(person, stranger, "Phished"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/passkeys/complete", new { flowId = "x", name = "", credential = new { } }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_or_mangled_credentials_and_a_racing_registration_get_a_clean_refusal()
    {
        using var person = await SignedInAsync();
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(person, key, "Key")).StatusCode);

        // Sign-in: no rawId, a signature that is not DER, authenticator data cut short, a user handle of someone else.
        var mangles = new Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject>[]
        {
            a => { a.Remove("rawId"); return a; },
            a => { a["response"]!["signature"] = "AAAA"; return a; },
            a => { a["response"]!["authenticatorData"] = "AAAA"; return a; },
            a => { a["response"]!["clientDataJSON"] = "bm90IGpzb24"; return a; },
            a => { a["response"]!["userHandle"] = "YWNjX25vYm9keQ"; return a; },
            a => { a.Remove("response"); return a; },
        };
        foreach (var mangle in mangles)
        {
            var ceremony = await JsonAsync(await person.PostAsync("/auth/passkeys/sign-in"));
            var credential = mangle(key.Get(ceremony.GetProperty("options")));
            await ProblemAssert.IsProblemAsync(
                await person.PostAsync("/auth/passkeys/sign-in/complete", new { flowId = ceremony.GetProperty("flowId").GetString(), credential }), HttpStatusCode.Unauthorized);
            key.SignCount += 1;
        }

        // Registration: an attestation object that is not CBOR, and no response at all (from a session the key signed in).
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(person, key)).StatusCode);
        using var other = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        foreach (var mangle in new Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject>[]
        {
            a => { a["response"]!["attestationObject"] = "v_8A"; return a; },
            a => { a.Remove("response"); return a; },
        })
        {
            var ceremony = await JsonAsync(await person.PostAsync("/auth/passkeys"));
            var credential = mangle(other.Create(ceremony.GetProperty("options")));
            await ProblemAssert.IsProblemAsync(
                await person.PostAsync("/auth/passkeys/complete", new { flowId = ceremony.GetProperty("flowId").GetString(), name = "Bad", credential }),
                HttpStatusCode.BadRequest);
        }

        // Two ceremonies racing to register the same authenticator: one passkey, the other a refusal.
        var first = await JsonAsync(await person.PostAsync("/auth/passkeys"));
        var second = await JsonAsync(await person.PostAsync("/auth/passkeys"));
        var answers = await Task.WhenAll(new[] { first, second }.Select(c => person.PostAsync("/auth/passkeys/complete",
            new { flowId = c.GetProperty("flowId").GetString(), name = "Twice", credential = other.Create(c.GetProperty("options")) })));
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.BadRequest], answers.Select(a => a.StatusCode).Order());
        var listed = await person.Http.GetFromJsonAsync<JsonElement>("/auth/passkeys");
        Assert.Equal(["Key", "Twice"], listed.EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order());

        // Still signs in with the real key: none of the refusals changed it.
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(person, key)).StatusCode);
    }

    [Fact]
    public async Task A_credential_belongs_to_one_person_until_they_remove_it()
    {
        using var alice = await SignedInAsync();
        using var bob = await SignedInAsync();
        using var shared = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        var registered = await RegisterAsync(alice, shared, "Alice's key");
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(alice, shared)).StatusCode); // removing a factor takes one
        await ProblemAssert.IsProblemAsync(await RegisterAsync(bob, shared, "Same key"), HttpStatusCode.BadRequest);

        var id = (await JsonAsync(registered)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await alice.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(bob, shared, "Now mine")).StatusCode);
        var bobs = await bob.Http.GetFromJsonAsync<JsonElement>("/auth/passkeys");
        Assert.Equal(["Now mine"], bobs.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task With_totp_on_adding_a_passkey_takes_a_session_that_showed_the_second_factor()
    {
        using var person = await SignedInAsync();
        var enrolment = await JsonAsync(await person.PostAsync("/auth/totp/enrolment"));
        var totp = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(enrolment.GetProperty("secret").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/enrolment/confirm", new { code = totp.ComputeTotp() })).StatusCode);

        // A session with the person's first factor only, as one from before TOTP was turned on would be.
        var sessions = app.Services.GetRequiredService<Hiroi.Shared.SignIn.SignInSessionStore>();
        var passkeys = app.Services.GetRequiredService<Hiroi.Shared.SignIn.Passkeys>();
        var accountId = Hiroi.Shared.SignIn.AccountIds.For(person.Email);
        var firstFactorOnly = await sessions.CreateAsync(accountId, "link", needsSecondFactor: false, secondFactorAt: null, "test", default);
        Assert.Equal(Hiroi.Shared.SignIn.PasskeyRegistrationRefusal.SecondFactorFirst, (await passkeys.BeginRegistrationAsync(firstFactorOnly, default)).Refusal);

        // Enrolling is not showing: the enrolling session too needs a code first; then it may.
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/passkeys"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/verify", new { code = totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(person, key, "Key")).StatusCode);
    }

    [Fact]
    public async Task A_ceremony_whose_client_data_origin_is_not_exactly_ours_is_refused()
    {
        // Fido2 compares origins reduced to scheme, host and port, case-insensitively: each of these was accepted.
        string[] respelled = [ConsolePerson.Origin + "/", ConsolePerson.Origin + "/evil/page", "https://user@localhost", "https://LOCALHOST", "https://localhost:443"];
        using var person = await SignedInAsync();
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(person, key, "Key")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(person, key)).StatusCode);

        foreach (var origin in respelled)
        {
            using var other = new SoftwareAuthenticator(origin, "localhost");
            await ProblemAssert.IsProblemAsync(await RegisterAsync(person, other, "Respelled"), HttpStatusCode.BadRequest);
        }

        foreach (var origin in respelled[..2])
        {
            key.Origin = origin;
            await ProblemAssert.IsProblemAsync(await SignInAsync(person, key), HttpStatusCode.Unauthorized);
        }

        key.Origin = ConsolePerson.Origin;
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(person, key)).StatusCode);
        Assert.Equal(["Key"], (await person.Http.GetFromJsonAsync<JsonElement>("/auth/passkeys")).EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_passkey_whose_backup_eligibility_changed_is_refused()
    {
        // Backup eligibility is fixed for a credential's life: a change means another authenticator holds the key.
        using var person = await SignedInAsync();
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(person, key, "Key")).StatusCode);

        key.BackupEligible = false;
        await ProblemAssert.IsProblemAsync(await SignInAsync(person, key), HttpStatusCode.Unauthorized);

        key.BackupEligible = true;
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(person, key)).StatusCode);
    }

    [Fact]
    public async Task The_webauthn_level_3_none_es256_vector_verifies_through_fido2_and_lacks_the_user_verification_we_require()
    {
        // Transcribed from the W3C WebAuthn Level 3 test vectors, "ES256 Credential with No Attestation" (rp example.org).
        var challenge = Convert.FromHexString("00c30fb78531c464d2b6771dab8d7b603c01162f2fa486bea70f283ae556e130");
        var clientData = Convert.FromHexString(
            "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22414d4d507434557878475453746e6364713431375944774246"
            + "6938767049612d7077386f4f755657345441222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e22"
            + "3a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e"
            + "616c206669656c647320696e20746865206675747572652c207375636820617320746869733a20426b5165446a646354427258426941774a544c453551227d");
        var attestation = Convert.FromHexString(
            "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b55900"
            + "0000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820af"
            + "efa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b"
            + "9220");
        var credentialId = Convert.FromHexString("f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4");
        var fido = new Fido2(new Fido2Configuration { RPID = "example.org", RPName = "Vectors", Origins = new HashSet<string> { "https://example.org" } });
        AttestationConveyancePreference none = AttestationConveyancePreference.None;

        RegisteredPublicKeyCredential Register(UserVerificationRequirement verification)
        {
            var options = fido.RequestNewCredential(new RequestNewCredentialParams
            {
                User = new Fido2User { Id = [1], Name = "vector", DisplayName = "vector" }, AttestationPreference = none,
                AuthenticatorSelection = new AuthenticatorSelection { UserVerification = verification },
            });
            options.Challenge = challenge;
            var response = new AuthenticatorAttestationRawResponse
            {
                Id = Base64Url(credentialId), RawId = credentialId, Type = PublicKeyCredentialType.PublicKey,
                Response = new AuthenticatorAttestationRawResponse.AttestationResponse { AttestationObject = attestation, ClientDataJson = clientData, Transports = [] },
            };
            return fido.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = response, OriginalOptions = options, IsCredentialIdUniqueToUserCallback = (_, _) => Task.FromResult(true),
            }).GetAwaiter().GetResult();
        }

        var registered = Register(UserVerificationRequirement.Discouraged);
        Assert.Equal(credentialId, registered.Id);
        Assert.True(registered.IsBackupEligible);
        Assert.True(registered.IsBackedUp);

        var assertionOptions = fido.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [new PublicKeyCredentialDescriptor(credentialId)], UserVerification = UserVerificationRequirement.Discouraged,
        });
        assertionOptions.Challenge = Convert.FromHexString("39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408");
        var verified = await fido.MakeAssertionAsync(new MakeAssertionParams
        {
            AssertionResponse = new AuthenticatorAssertionRawResponse
            {
                Id = Base64Url(credentialId), RawId = credentialId, Type = PublicKeyCredentialType.PublicKey,
                Response = new AuthenticatorAssertionRawResponse.AssertionResponse
                {
                    AuthenticatorData = Convert.FromHexString("bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000"),
                    ClientDataJson = Convert.FromHexString(
                        "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158756c5455506f334a5558543049393770767a7a59"
                        + "425039745a63685879617630314167222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a6661"
                        + "6c73657d"),
                    Signature = Convert.FromHexString(
                        "3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87"),
                },
            },
            OriginalOptions = assertionOptions, StoredPublicKey = registered.PublicKey, StoredSignatureCounter = 0,
            IsUserHandleOwnerOfCredentialIdCallback = (_, _) => Task.FromResult(true),
        });
        Assert.Equal(credentialId, verified.CredentialId);

        // The vector's authenticator data has UP but not UV (flags 0x59): what Hiroi asks for refuses it.
        Assert.Throws<Fido2VerificationException>(() => Register(UserVerificationRequirement.Required));
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
