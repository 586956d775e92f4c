using Hiroi.Durable;
using Hiroi.Durable.Retention;
using Hiroi.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace Hiroi.Tests.Workflows;

/// <summary>The retention orchestrators' branches, on a mocked <see cref="TaskOrchestrationContext"/>.</summary>
[Lane(Lanes.Unit)]
public class RetentionOrchestrationTests
{
    // The non-generic overloads forward to the generic ones the tests set up.
    private readonly Mock<TaskOrchestrationContext> _context = new() { CallBase = true };

    public RetentionOrchestrationTests()
    {
        _context.Setup(c => c.CreateReplaySafeLogger(It.IsAny<string>())).Returns(NullLogger.Instance);
        _context.Setup(c => c.InstanceId).Returns("retention-2026-12-02");
    }

    private List<SweepBatch> SweepBatches(Func<SweepBatch, SweepBatchResult?> answer)
    {
        var batches = new List<SweepBatch>();
        _context.Setup(c => c.CallActivityAsync<SweepBatchResult>(It.Is<TaskName>(n => n.Name == RetentionSweepBatchActivity.Name), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((_, input, _) => batches.Add((SweepBatch)input!))
            .Returns((TaskName _, object? input, TaskOptions? _) => answer((SweepBatch)input!) is { } result
                ? Task.FromResult(result)
                : Task.FromException<SweepBatchResult>(new TaskFailedException(RetentionSweepBatchActivity.Name, 3, new InvalidOperationException("away"))));
        return batches;
    }

    private void OrgPage(string? after, OrgPage page) =>
        _context.Setup(c => c.CallActivityAsync<OrgPage>(It.Is<TaskName>(n => n.Name == RetentionListOrgsActivity.Name), after, It.IsAny<TaskOptions?>())).ReturnsAsync(page);

    [Fact]
    public async Task A_page_of_orgs_is_swept_side_by_side_each_kind_by_name_until_none_is_left_then_the_next_page_continues_as_new()
    {
        OrgPage(null, new OrgPage(["org_a", "org_b"], "org_b"));
        var messagesOfA = 0;
        var batches = SweepBatches(b => new SweepBatchResult(500, More: b is { Org: "org_a", Kind: "messages" } && ++messagesOfA == 1));

        var failed = await new RetentionOrchestration().RunAsync(_context.Object, new SweepRun("2026-12-02"));

        Assert.Equal(0, failed);
        // Every registry kind of each org, by name; org_a's messages took two batches.
        Assert.Equal(RetentionSweep.KindNames.Count * 2 + 1, batches.Count);
        Assert.Equal(RetentionSweep.KindNames, batches.Where(b => b.Org == "org_b").Select(b => b.Kind));
        Assert.Equal(2, batches.Count(b => b is { Org: "org_a", Kind: "messages" }));
        _context.Verify(c => c.ContinueAsNew(new SweepRun("2026-12-02", "org_b", 0), true), Times.Once);
        _context.Verify(c => c.CallActivityAsync<int>(It.Is<TaskName>(n => n.Name == RetentionDeleteExpiredClaimsActivity.Name), It.IsAny<object?>(), It.IsAny<TaskOptions?>()),
            Times.Never);
    }

    [Fact]
    public async Task The_last_page_counts_orgs_whose_batches_kept_failing_and_expires_event_claims_while_the_others_are_swept()
    {
        OrgPage("org_b", new OrgPage(["org_c", "org_d"], null));
        var batches = SweepBatches(b => b.Org == "org_c" ? null : new SweepBatchResult(3, More: false));
        var claimBatches = new Queue<int>([RetentionSweep.BatchSize, 12]);
        _context.Setup(c => c.CallActivityAsync<int>(It.Is<TaskName>(n => n.Name == RetentionDeleteExpiredClaimsActivity.Name), null, It.IsAny<TaskOptions?>()))
            .ReturnsAsync(() => claimBatches.Dequeue());

        var failed = await new RetentionOrchestration().RunAsync(_context.Object, new SweepRun("2026-12-02", "org_b", Failed: 1));

        Assert.Equal(2, failed); // one from an earlier page, org_c here
        Assert.Equal(RetentionSweep.KindNames, batches.Where(b => b.Org == "org_d").Select(b => b.Kind));
        Assert.Empty(claimBatches); // a full batch of claims, then the rest
        _context.Verify(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()), Times.Never);
    }

    [Fact]
    public async Task A_purge_waits_out_its_delay_on_a_durable_timer_and_ends_when_nothing_is_left()
    {
        var after = new DateTimeOffset(2026, 12, 2, 12, 2, 0, TimeSpan.Zero);
        var outcomes = new Queue<StepOutcome>([StepOutcome.DeferUntil(after), StepOutcome.Continue(), StepOutcome.Stop("purged")]);
        _context.Setup(c => c.CallActivityAsync<StepOutcome>(It.Is<TaskName>(n => n.Name == OrgPurgeStepActivity.Name), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .ReturnsAsync(() => outcomes.Dequeue());
        _context.Setup(c => c.CreateTimer(after.UtcDateTime, It.IsAny<CancellationToken>())).Returns(Task.CompletedTask).Verifiable(Times.Once);

        Assert.Equal("purged", await new OrgPurgeOrchestration().RunAsync(_context.Object, new PurgeRun("org_a")));

        _context.Verify();
        Assert.Empty(outcomes);
    }
}
