using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;
using Hiroi.Shared;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Security;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.Security;

[Lane(Lanes.Unit)]
public class CallbackTokenServiceTests
{
    private const string Org = "org_0123456789abcdef0123";
    private const string Call = "aHR0cHM6Ly9hcGkuZmxpZ2h0cHJveHkuc2t5cGUuY29tL2FwaS92Mi9jcC9jb252";

    private readonly InMemorySecretStore _secrets = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly byte[] _k1 = TestKeys.New();

    public CallbackTokenServiceTests() => _secrets[CallbackTokenService.SecretName] = TestKeys.Entry("k1", _k1);

    private CallbackTokenService Service => new(_secrets, _time);

    private Task<string> IssueAsync(string org = Org, string call = Call, int minutes = 60) =>
        Service.IssueAsync(org, call, TimeSpan.FromMinutes(minutes), CancellationToken.None);

    private Task<CallbackTokenClaims?> ValidateAsync(string? token) => Service.ValidateAsync(token, CancellationToken.None);

    [Fact]
    public async Task An_issued_token_validates_to_its_claims()
    {
        var token = await IssueAsync();

        var claims = await ValidateAsync(token);

        Assert.Equal(new CallbackTokenClaims(Org, Call, _time.GetUtcNow().AddMinutes(60), "k1"), claims);
    }

    [Fact]
    public async Task Tokens_are_url_safe_and_versioned()
    {
        var token = await IssueAsync(call: "call/with+odd=chars ünïcode");

        Assert.Matches("^v1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$", token);
        Assert.Equal(token, Uri.EscapeDataString(token));
        Assert.Equal("call/with+odd=chars ünïcode", (await ValidateAsync(token))!.CallId);
    }

    [Fact]
    public async Task A_token_is_valid_until_the_instant_it_expires()
    {
        var token = await IssueAsync(minutes: 10);

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.NotNull(await ValidateAsync(token));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(await ValidateAsync(token));

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Null(await ValidateAsync(token));
    }

    [Fact]
    public async Task The_expiry_is_in_whole_seconds_rounded_down()
    {
        _time.Advance(TimeSpan.FromMilliseconds(700));

        var claims = await ValidateAsync(await IssueAsync(minutes: 1));

        Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 1, 0, TimeSpan.Zero), claims!.ExpiresAt);
    }

    /// <summary>Rewrites a token's payload, keeping its MAC, as an attacker who cannot sign would.</summary>
    private static string Forge(string token, string? org = null, string? call = null, long? expires = null)
    {
        var parts = token.Split('.');
        var payload = Base64Url.DecodeFromChars(parts[1]);
        var fields = new List<byte[]>();
        var rest = payload.AsSpan();
        for (var i = 0; i < 3; i++)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(rest);
            fields.Add(rest.Slice(2, length).ToArray());
            rest = rest[(2 + length)..];
        }

        var expiry = expires ?? BinaryPrimitives.ReadInt64BigEndian(rest);
        if (org is not null)
        {
            fields[1] = Encoding.UTF8.GetBytes(org);
        }

        if (call is not null)
        {
            fields[2] = Encoding.UTF8.GetBytes(call);
        }

        var forged = new List<byte>();
        foreach (var field in fields)
        {
            forged.AddRange([(byte)(field.Length >> 8), (byte)field.Length, .. field]);
        }

        var expiryBytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(expiryBytes, expiry);
        forged.AddRange(expiryBytes);
        return $"v1.{Base64Url.EncodeToString([.. forged])}.{parts[2]}";
    }

    [Fact]
    public async Task The_forge_helper_reproduces_a_genuine_token()
    {
        var token = await IssueAsync();

        Assert.Equal(token, Forge(token));
    }

    [Fact]
    public async Task Changing_the_org_call_or_expiry_breaks_the_mac()
    {
        var token = await IssueAsync();
        var expires = _time.GetUtcNow().AddMinutes(60).ToUnixTimeSeconds();

        Assert.Null(await ValidateAsync(Forge(token, org: "org_ffffffffffffffffffff")));
        Assert.Null(await ValidateAsync(Forge(token, call: Call + "x")));
        Assert.Null(await ValidateAsync(Forge(token, expires: expires + 3600)));
        Assert.Null(await ValidateAsync(Forge(token, expires: expires - 1)));
    }

    [Fact]
    public async Task Changing_any_character_is_rejected()
    {
        var token = await IssueAsync(minutes: 5);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

        for (var i = 0; i < token.Length; i++)
        {
            var replacement = token[i] == 'A' ? 'B' : 'A';
            if (token[i] == '.' || i < 2)
            {
                replacement = alphabet[(alphabet.IndexOf(token[i], StringComparison.Ordinal) + 1) % alphabet.Length];
            }

            Assert.Null(await ValidateAsync(string.Concat(token.AsSpan(0, i), replacement.ToString(), token.AsSpan(i + 1))));
        }
    }

    [Fact]
    public async Task A_mac_from_another_token_does_not_fit()
    {
        var mine = (await IssueAsync(org: Org)).Split('.');
        var theirs = (await IssueAsync(org: "org_ffffffffffffffffffff")).Split('.');

        Assert.Null(await ValidateAsync($"v1.{theirs[1]}.{mine[2]}"));
        Assert.Null(await ValidateAsync($"v1.{mine[1]}.{theirs[2]}"));
    }

    [Fact]
    public async Task An_old_key_validates_while_listed_and_fails_after_removal()
    {
        var oldToken = await IssueAsync();
        var k2 = TestKeys.New();

        _secrets[CallbackTokenService.SecretName] = $"{TestKeys.Entry("k2", k2)},{TestKeys.Entry("k1", _k1)}";
        var newToken = await IssueAsync();

        Assert.Equal("k1", (await ValidateAsync(oldToken))!.KeyId);
        Assert.Equal("k2", (await ValidateAsync(newToken))!.KeyId);

        _secrets[CallbackTokenService.SecretName] = TestKeys.Entry("k2", k2);

        Assert.Null(await ValidateAsync(oldToken));
        Assert.NotNull(await ValidateAsync(newToken));
    }

    [Fact]
    public async Task The_same_key_id_with_other_material_rejects()
    {
        var token = await IssueAsync();

        _secrets[CallbackTokenService.SecretName] = TestKeys.Entry("k1", TestKeys.New());

        Assert.Null(await ValidateAsync(token));
    }

    public static TheoryData<string?> Garbage() => new()
    {
        null,
        "",
        " ",
        "v1",
        "v1.",
        "v1..",
        "v1...",
        "v2.AAAA.AAAA",
        "V1.AAAA.AAAA",
        "v1.!!!!.####",
        "v1.AAAA.AAAA",
        "v1.AAAA.AAAA.AAAA",
        "v1.AA==.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "eyJhbGciOiJub25lIn0.e30.",
        new string('A', 100_000),
        "v1." + new string('A', 1_000_000) + ".AAAA",
        "v1.\u00e9\u00e9\u00e9\u00e9.AAAA",
        "v1.AAAA.AAAA\0",
        "v1.AA\tAA.AAAA",
        "v1.AA\nAA.AAAA",
        "v1.AA AA.AAAA",
        "v1.AAAA=.AAAA",
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_is_rejected_without_throwing_or_reading_the_keys(string? token)
    {
        Assert.Null(await ValidateAsync(token));
        Assert.Equal(0, _secrets.Reads);
    }

    [Fact]
    public async Task Random_token_shaped_noise_is_rejected_without_throwing()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.= \t+/";
        var random = new Random(42);
        var genuine = await IssueAsync();

        for (var i = 0; i < 2000; i++)
        {
            var noise = new char[random.Next(0, 200)];
            for (var j = 0; j < noise.Length; j++)
            {
                noise[j] = alphabet[random.Next(alphabet.Length)];
            }

            var candidate = (i % 3) switch
            {
                0 => "v1." + new string(noise),
                1 => genuine[..random.Next(genuine.Length)] + new string(noise),
                _ => new string(noise),
            };
            Assert.Null(await ValidateAsync(candidate));
        }
    }

    [Fact]
    public async Task Extra_dots_or_padding_around_a_genuine_token_are_rejected()
    {
        var token = await IssueAsync();
        var parts = token.Split('.');

        Assert.Null(await ValidateAsync(token + "."));
        Assert.Null(await ValidateAsync("." + token));
        Assert.Null(await ValidateAsync(token + ".AAAA"));
        Assert.Null(await ValidateAsync($"v1.{parts[1]}.AAAA.{parts[2]}"));
        Assert.Null(await ValidateAsync($"v1.{parts[1]}.{parts[2]}="));
        Assert.Null(await ValidateAsync($"v1.{parts[1]} .{parts[2]}"));
        Assert.Null(await ValidateAsync(" " + token));
    }

    [Fact]
    public async Task A_payload_with_trailing_bytes_is_rejected_even_if_signed()
    {
        // Sign a non-canonical payload ourselves: the parser must refuse it before the MAC matters.
        var token = await IssueAsync();
        var payload = Base64Url.DecodeFromChars(token.Split('.')[1]);
        var signed = "v1." + Base64Url.EncodeToString([.. payload, 0]);
        var mac = System.Security.Cryptography.HMACSHA256.HashData(_k1, Encoding.ASCII.GetBytes(signed));

        Assert.Null(await ValidateAsync(signed + "." + Base64Url.EncodeToString(mac)));
    }

    [Fact]
    public async Task Bad_issue_arguments_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => IssueAsync(org: ""));
        await Assert.ThrowsAsync<ArgumentException>(() => IssueAsync(call: ""));
        await Assert.ThrowsAsync<ArgumentException>(() => IssueAsync(call: new string('x', CallbackTokenService.MaxIdBytes + 1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => IssueAsync(minutes: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => IssueAsync(minutes: -5));
    }

    [Fact]
    public async Task The_longest_ids_fit_in_a_token()
    {
        var org = new string('o', CallbackTokenService.MaxIdBytes);
        var call = new string('c', CallbackTokenService.MaxIdBytes);

        var token = await IssueAsync(org, call);

        Assert.InRange(token.Length, 1, CallbackTokenService.MaxTokenLength);
        Assert.Equal(call, (await ValidateAsync(token))!.CallId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("k1:c2hvcnQ=")]
    [InlineData("k1")]
    public async Task Missing_or_weak_signing_keys_are_a_clear_error(string? value)
    {
        _secrets[CallbackTokenService.SecretName] = value;

        var error = await Assert.ThrowsAsync<SettingException>(() => IssueAsync());

        Assert.Equal("Hiroi__Calls__CallbackSigningKeys", error.Key);
    }

    [Fact]
    public async Task Longer_signing_keys_are_accepted()
    {
        _secrets[CallbackTokenService.SecretName] = TestKeys.Entry("k9", TestKeys.New(64));

        Assert.NotNull(await ValidateAsync(await IssueAsync()));
    }
}
