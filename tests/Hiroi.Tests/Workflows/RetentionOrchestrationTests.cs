using Hiroi.Durable;
using Hiroi.Durable.Retention;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace Hiroi.Tests.Workflows;

/// <summary>The retention orchestrators' branches, on a mocked <see cref="TaskOrchestrationContext"/>.</summary>
public class RetentionOrchestrationTests
{
    // The non-generic overloads forward to the generic ones the tests set up.
    private readonly Mock<TaskOrchestrationContext> _context = new() { CallBase = true };

    public RetentionOrchestrationTests()
    {
        _context.Setup(c => c.CreateReplaySafeLogger(It.IsAny<string>())).Returns(NullLogger.Instance);
        _context.Setup(c => c.InstanceId).Returns("retention-2026-12-02");
    }

    [Fact]
    public async Task The_sweep_fans_out_one_org_sweep_per_org_page_by_page_then_expires_event_claims()
    {
        _context.Setup(c => c.CallActivityAsync<OrgPage>(It.Is<TaskName>(n => n.Name == RetentionActivities.ListOrgs), null, It.IsAny<TaskOptions?>()))
            .ReturnsAsync(new OrgPage(["org_a", "org_b"], "org_b"));
        _context.Setup(c => c.CallActivityAsync<OrgPage>(It.Is<TaskName>(n => n.Name == RetentionActivities.ListOrgs), "org_b", It.IsAny<TaskOptions?>()))
            .ReturnsAsync(new OrgPage(["org_c"], null));
        var orgSweeps = new List<(string Org, string? InstanceId)>();
        _context.Setup(c => c.CallSubOrchestratorAsync<object>(It.Is<TaskName>(n => n.Name == OrgSweepOrchestration.Name), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((_, input, options) => orgSweeps.Add((((OrgSweepRun)input!).Org, (options as SubOrchestrationOptions)?.InstanceId)))
            .Returns((TaskName _, object? input, TaskOptions? _) => ((OrgSweepRun)input!).Org == "org_b"
                ? Task.FromException<object>(new TaskFailedException(OrgSweepOrchestration.Name, 3, new InvalidOperationException("away")))
                : Task.FromResult<object>(0));
        var claimBatches = new Queue<int>([RetentionSweep.BatchSize, 12]);
        _context.Setup(c => c.CallActivityAsync<int>(It.Is<TaskName>(n => n.Name == RetentionActivities.DeleteExpiredClaims), null, It.IsAny<TaskOptions?>()))
            .ReturnsAsync(() => claimBatches.Dequeue());

        var failed = await RetentionOrchestration.RunAsync(_context.Object, new SweepRun("2026-12-02"));

        Assert.Equal(1, failed); // org_b's sweep failed; the others went on
        Assert.Equal(["org_a", "org_b", "org_c"], orgSweeps.Select(s => s.Org));
        Assert.Equal("retention-2026-12-02-org_c", orgSweeps[2].InstanceId);
        Assert.Empty(claimBatches); // a full batch of claims, then the rest
    }

    [Fact]
    public async Task An_org_sweep_takes_each_kind_by_name_until_none_is_left_and_continues_as_new_with_the_kinds_still_to_do()
    {
        var batches = new List<SweepBatch>();
        _context.Setup(c => c.CallActivityAsync<SweepBatchResult>(It.Is<TaskName>(n => n.Name == RetentionActivities.SweepBatch), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((_, input, _) => batches.Add((SweepBatch)input!))
            .ReturnsAsync((TaskName _, object? input, TaskOptions? _) => new SweepBatchResult(500, More: ((SweepBatch)input!).Kind == "calls"));
        var run = new OrgSweepRun("org_a", ["messages", "calls", "recordings"]);

        var done = await OrgSweepOrchestration.RunAsync(_context.Object, run);

        // messages once (no more), then calls until the generation ends; the checkpoint names the kinds left.
        Assert.Equal(OrgSweepOrchestration.BatchesPerGeneration + 1, done);
        Assert.Equal("messages", batches[0].Kind);
        Assert.All(batches.Skip(1), b => Assert.Equal("calls", b.Kind));
        _context.Verify(c => c.ContinueAsNew(It.Is<OrgSweepRun>(r => r.Org == "org_a" && r.Kinds.SequenceEqual(new[] { "calls", "recordings" })), true), Times.Once);
    }

    [Fact]
    public async Task A_purge_waits_out_its_delay_on_a_durable_timer_and_ends_when_nothing_is_left()
    {
        var after = new DateTimeOffset(2026, 12, 2, 12, 2, 0, TimeSpan.Zero);
        var outcomes = new Queue<StepOutcome>([new StepOutcome.DeferUntil(after), new StepOutcome.Continue(), new StepOutcome.Stop("purged")]);
        _context.Setup(c => c.CallActivityAsync<StepOutcome>(It.Is<TaskName>(n => n.Name == RetentionActivities.PurgeStep), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .ReturnsAsync(() => outcomes.Dequeue());
        _context.Setup(c => c.CreateTimer(after.UtcDateTime, It.IsAny<CancellationToken>())).Returns(Task.CompletedTask).Verifiable(Times.Once);

        Assert.Equal("purged", await OrgPurgeOrchestration.RunAsync(_context.Object, new PurgeRun("org_a")));

        _context.Verify();
        Assert.Empty(outcomes);
    }
}
