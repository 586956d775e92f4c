using Hiroi.Durable;
using Hiroi.Durable.Retention;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.Infrastructure;

/// <summary>The self-host on a clock the test moves.</summary>
public class ClockedApp : HiroiApp
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>Runs a retention sweep through its orchestrations to the end; its steps read the app's clock.</summary>
    public Task SweepAsync() => Services.SweepAsync();

    /// <summary>
    /// Steps every pending org purge until it is done or defers. Driven here rather than by the purge orchestration, whose
    /// durable timers run on real time while this app's clock is the test's.
    /// </summary>
    public async Task PurgePendingAsync()
    {
        var purge = Services.GetRequiredService<OrgPurge>();
        foreach (var org in await purge.PendingAsync(default))
        {
            while (await purge.StepAsync(org, default) is { Kind: StepKind.Continue })
            {
            }
        }
    }
}

public static class Sweeps
{
    /// <summary>Runs the retention sweep orchestration (and one org sweep per org) to its end on the app's engine.</summary>
    public static async Task SweepAsync(this IServiceProvider services)
    {
        var workflows = services.GetRequiredService<DurableTaskClient>();
        var id = await workflows.ScheduleNewOrchestrationInstanceAsync(RetentionOrchestration.Name, new SweepRun("test-" + Guid.NewGuid().ToString("N")));
        using var timeout = new CancellationTokenSource(Waits.Ceiling);
        OrchestrationMetadata done;
        try
        {
            done = await workflows.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            var all = await workflows.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true }).ToListAsync();
            throw new TimeoutException("the sweep did not finish: "
                + string.Join("; ", all.Select(i => $"{i.InstanceId} {i.Name} {i.RuntimeStatus} {i.LastUpdatedAt:HH:mm:ss} {i.SerializedOutput}")));
        }
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"the sweep ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        Assert.Equal(0, done.ReadOutputAs<int>()); // no org failed
    }
}
