namespace Hiroi.Tests.Infrastructure;

/// <summary>Fires calls together, for tests of limits under concurrency.</summary>
public static class Concurrently
{
    /// <summary>
    /// Makes <paramref name="count"/> calls that all wait on one signal, releases them at once, and returns their results
    /// in call order.
    /// </summary>
    public static async Task<T[]> RunAsync<T>(int count, Func<int, Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, count).Select(async i =>
        {
            await start.Task;
            return await call(i);
        }).ToArray();
        start.SetResult();
        return await Task.WhenAll(calls);
    }
}
