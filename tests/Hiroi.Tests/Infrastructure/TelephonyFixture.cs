namespace Hiroi.Tests.Infrastructure;

/// <summary>One mocked-ACS telephony app shared by a test class.</summary>
public sealed class TelephonyFixture : IDisposable
{
    public TelephonyApp Telephony { get; } = new();

    public void Dispose() => Telephony.Dispose();
}
