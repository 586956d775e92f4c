using Hiroi.Shared.Agents;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Agents;

public class UsageMeterTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    [Fact]
    public async Task Concurrent_turns_never_reserve_past_the_cap_and_settling_counts_what_was_used()
    {
        var org = (await app.CreateOrgAsync()).OrgId;
        var meter = app.Services.GetRequiredService<UsageMeter>();
        var agent = new AgentEntity { RowKey = "agt_0123456789abcdef", DailyTokenCap = 1000 };
        var now = DateTimeOffset.UtcNow;

        // 24 turns at once, each reserving 100 tokens under a 1000-token agent cap: exactly 10 may run.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => meter.TryReserveAsync(org, agent, "sms", 100, 50, now, default)));

        var granted = attempts.Where(a => a.Reservation is not null).Select(a => a.Reservation!).ToList();
        Assert.Equal(10, granted.Count);
        Assert.All(attempts.Where(a => a.Reservation is null), a => Assert.Contains("agent's daily token cap (1000)", a.Refusal!.Reason, StringComparison.Ordinal));

        // Each used 60: settling frees the rest, so four more turns fit (10 × 60 + 4 × 100 = 1000).
        await Task.WhenAll(granted.Select(r => meter.SettleAsync(org, r, 40, 20, 70, default)));
        var more = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => meter.TryReserveAsync(org, agent, "sms", 100, 50, now, default)));
        Assert.Equal(4, more.Count(a => a.Reservation is not null));

        var line = Assert.Single(await meter.ReportAsync(org, UsageRows.Day(now), UsageRows.Day(now), default));
        Assert.Equal((10, 18, 400, 200, 700), (line.Turns, line.RefusedTurns, line.InputTokens, line.OutputTokens, line.CostMicroUsd));
    }

    [Fact]
    public async Task The_orgs_cost_cap_holds_across_its_agents_and_a_released_turn_costs_nothing()
    {
        var org = (await app.CreateOrgAsync()).OrgId;
        var meter = app.Services.GetRequiredService<UsageMeter>();
        await meter.SetCapsAsync(org, new OrgCaps(1_000_000, MicroUsd.FromUsd(0.001m)), default); // 1000 micro-dollars
        var now = DateTimeOffset.UtcNow;
        var first = new AgentEntity { RowKey = "agt_aaaaaaaaaaaaaaaa" };
        var second = new AgentEntity { RowKey = "agt_bbbbbbbbbbbbbbbb" };

        var a = await meter.TryReserveAsync(org, first, "sms", 10, 600, now, default);
        var b = await meter.TryReserveAsync(org, second, "sms", 10, 600, now, default);
        Assert.NotNull(a.Reservation);
        Assert.Contains("org's daily cost cap", b.Refusal!.Reason, StringComparison.Ordinal);

        await meter.ReleaseAsync(org, a.Reservation!, default);
        Assert.NotNull((await meter.TryReserveAsync(org, second, "sms", 10, 600, now, default)).Reservation);
    }

    [Fact]
    public async Task Two_instances_spending_one_cap_never_pass_it_though_each_remembers_its_own_last_write()
    {
        // A second meter stands for another instance: its remembered rows go stale whenever the first one writes.
        var org = (await app.CreateOrgAsync()).OrgId;
        var meters = new[] { app.Services.GetRequiredService<UsageMeter>(), ActivatorUtilities.CreateInstance<UsageMeter>(app.Services) };
        var agent = new AgentEntity { RowKey = "agt_cccccccccccccccc", DailyTokenCap = 1000 };
        var now = DateTimeOffset.UtcNow;

        var attempts = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => meters[i % 2].TryReserveAsync(org, agent, "sms", 100, 50, now, default)));
        Assert.Equal(10, attempts.Count(a => a.Reservation is not null));

        // Settled by either instance, the counts add up; the one that wrote least recently must read before it writes.
        var granted = attempts.Where(a => a.Reservation is not null).Select(a => a.Reservation!).ToList();
        for (var i = 0; i < granted.Count; i++)
        {
            await meters[i % 2].SettleAsync(org, granted[i], 40, 20, 70, default);
        }

        var line = Assert.Single(await meters[1].ReportAsync(org, UsageRows.Day(now), UsageRows.Day(now), default));
        Assert.Equal((10, 14, 400, 200, 700), (line.Turns, line.RefusedTurns, line.InputTokens, line.OutputTokens, line.CostMicroUsd));
    }
}
