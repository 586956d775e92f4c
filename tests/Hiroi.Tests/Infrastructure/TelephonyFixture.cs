namespace Hiroi.Tests.Infrastructure;

/// <summary>One mocked-ACS telephony app shared by a test class.</summary>
public sealed class TelephonyFixture : IDisposable
{
    public TelephonyApp Telephony { get; } = new();

    public void Dispose() => Telephony.Dispose();
}

/// <summary>The same app with its workflows on DurableTask.AzureStorage in Azurite (as <c>./run</c> runs them).</summary>
public sealed class AzureStorageWorkflowsFixture : IDisposable
{
    public TelephonyApp Telephony { get; } = new(inMemoryWorkflows: false);

    public void Dispose() => Telephony.Dispose();
}
