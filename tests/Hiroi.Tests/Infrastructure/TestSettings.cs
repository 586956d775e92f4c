namespace Hiroi.Tests.Infrastructure;

/// <summary>The settings every test host of the platform starts with (the self-host and the Functions app alike).</summary>
public static class TestSettings
{
    public static Dictionary<string, string> For(string storage, string prefix, string subjectKey) => new(StringComparer.Ordinal)
    {
        ["AzureWebJobsStorage"] = storage,
        ["Hiroi:Storage:Prefix"] = prefix,
        ["Hiroi:Telemetry:Console"] = "false",
        // Sample events carry old timestamps; a sweep starting in the background would delete what tests look for.
        ["Hiroi:RetentionSweep:Enabled"] = "false",
        ["Hiroi:Privacy:SubjectKey"] = subjectKey,
        // A deleted org's purge starts at once; the delay that covers other instances' caches is tested on a clock.
        ["Hiroi:Retention:OrgPurgeDelaySeconds"] = "0",
        ["Hiroi:Durable:MaxPollMilliseconds"] = "500",
        // Every anonymous test request shares one partition (the test server has no client IP); the limits have their own tests.
        ["Hiroi:RateLimits:Enabled"] = "false",
        // The deterministic local model, priced so metering has something to count; tools may call the tests' loopback servers.
        ["Hiroi:Ai:Provider"] = "Local",
        ["Hiroi:Ai:Models:local:InputUsdPerMillionTokens"] = "1",
        ["Hiroi:Ai:Models:local:OutputUsdPerMillionTokens"] = "3",
        ["Hiroi:Ai:AllowLoopbackTools"] = "true",
        // A light proof of work keeps widget tests quick; the check itself is the same.
        ["Hiroi:Widget:ProofOfWorkBits"] = "4",
        // Sign-in mail links point at the in-memory server; TOTP secrets are sealed under a key of the test's own.
        ["Hiroi:SignIn:PublicBaseUrl"] = "http://localhost",
        ["Hiroi:SignIn:SenderAddress"] = "DoNotReply@hiroi.test",
        ["Hiroi:SignIn:PasskeyRelyingPartyId"] = "localhost",
        ["Hiroi:SignIn:PasskeyOrigins"] = "https://localhost",
        ["Hiroi:SignIn:TotpKeys"] = "s1:" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["Hiroi:TenantSecrets:KeyEncryptionKeys"] = "t1:" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    };
}
