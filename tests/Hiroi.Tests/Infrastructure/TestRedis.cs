namespace Hiroi.Tests.Infrastructure;

/// <summary>The Garnet (Redis protocol) server <c>./test</c> started, for tests of limits shared across instances.</summary>
public static class TestRedis
{
    public static string Connection
    {
        get
        {
            Lanes.Refuse("Garnet");
            return Environment.GetEnvironmentVariable("HIROI_TEST_REDIS") is { Length: > 0 } connection
                ? connection
                : throw new InvalidOperationException("HIROI_TEST_REDIS is not set: run the tests through ./test, which starts Garnet.");
        }
    }
}
