using Hiroi.Durable.Campaigns;
using Hiroi.Durable.Retention;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
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

    /// <summary>Starts the sweep run of the clock's day and steps it to its end.</summary>
    public Task SweepAsync() => Services.SweepAsync(Clock.GetUtcNow());
}

public static class Sweeps
{
    /// <summary>Starts the sweep run of <paramref name="at"/>'s day and steps it to its end.</summary>
    public static async Task SweepAsync(this IServiceProvider services, DateTimeOffset at)
    {
        var sweep = services.GetRequiredService<RetentionSweep>();
        var run = await sweep.StartAsync(at, default);
        while (await sweep.RunAsync(run, default) is StepOutcome.Continue)
        {
        }
    }
}
