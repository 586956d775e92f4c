using System.Text;
using Hiroi.Shared.SignIn;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Security;

/// <summary>RFC 6238 Appendix B (SHA-1 seed "12345678901234567890"), last 6 digits of each 8-digit value.</summary>
[Lane(Lanes.Unit)]
public class TotpCodesTests
{
    private static readonly byte[] Seed = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    [InlineData(59L, "287082")]
    [InlineData(1111111109L, "081804")]
    [InlineData(1111111111L, "050471")]
    [InlineData(1234567890L, "005924")]
    [InlineData(2000000000L, "279037")]
    [InlineData(20000000000L, "353130")]
    public void The_rfc_6238_vectors_verify_at_their_time(long unix, string code) =>
        Assert.Equal(unix / 30, TotpCodes.Verify(Seed, code, DateTimeOffset.FromUnixTimeSeconds(unix), null));

    [Fact]
    public void A_code_is_good_one_step_either_side_accepted_once_and_refused_when_malformed()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(1111111109); // step 37037036, code 081804

        Assert.Equal(37037036, TotpCodes.Verify(Seed, "081804", at.AddSeconds(30), null)); // the clock ran ahead one step
        Assert.Null(TotpCodes.Verify(Seed, "081804", at.AddSeconds(90), null)); // three steps is too far
        Assert.Null(TotpCodes.Verify(Seed, "081804", at, lastUsedStep: 37037036)); // replayed
        Assert.Null(TotpCodes.Verify(Seed, "081805", at, null));
        Assert.Null(TotpCodes.Verify(Seed, "81804", at, null));
        Assert.Null(TotpCodes.Verify(Seed, "０８１８０４", at, null)); // full-width digits are not ASCII digits
        Assert.StartsWith("otpauth://totp/", TotpCodes.EnrolmentUri(Seed, "Hiroi", "erin@example.com"), StringComparison.Ordinal);
    }
}
