using System.Text.Json;
using Azure.Core.Serialization;
using Hiroi.Durable;
using Hiroi.Durable.Retention;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Workflows;

/// <summary>
/// Activity results cross the Functions worker as JSON written by their runtime type with the worker's default
/// serializer, and are read back as the type the orchestrator asks for: each one must survive that trip.
/// </summary>
[Lane(Lanes.Unit)]
public class ActivitySerializationTests
{
    private static readonly JsonObjectSerializer Worker = new(new JsonSerializerOptions());

    private static async Task<T> RoundTripAsync<T>(T value)
    {
        var written = await Worker.SerializeAsync(value!, value!.GetType(), CancellationToken.None);
        return (T)(await Worker.DeserializeAsync(written.ToStream(), typeof(T), CancellationToken.None))!;
    }

    public static TheoryData<StepOutcome> Outcomes => new()
    {
        StepOutcome.Continue(),
        StepOutcome.DeferUntil(new DateTimeOffset(2026, 12, 2, 18, 0, 0, TimeSpan.Zero)),
        StepOutcome.Stop("paused"),
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task Every_step_outcome_comes_back_as_it_was_sent(StepOutcome outcome)
    {
        Assert.Equal(outcome, await RoundTripAsync(outcome));
    }

    [Fact]
    public async Task Sweep_results_and_org_pages_come_back_as_they_were_sent()
    {
        Assert.Equal(new SweepBatchResult(500, More: true), await RoundTripAsync(new SweepBatchResult(500, More: true)));
        var page = await RoundTripAsync(new OrgPage(["org_a", "org_b"], "org_b"));
        Assert.Equal(["org_a", "org_b"], page.Orgs);
        Assert.Equal("org_b", page.Next);
    }
}
