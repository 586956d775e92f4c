using Hiroi.Durable;
using Hiroi.Durable.Campaigns;
using Hiroi.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace Hiroi.Tests.Workflows;

/// <summary>The campaign orchestrator's branches, on a mocked <see cref="TaskOrchestrationContext"/> (the engine is not involved).</summary>
[Lane(Lanes.Unit)]
public class CampaignOrchestrationTests
{
    private static readonly CampaignRun Run = new("org_0123456789abcdef0123", "cmp_0123456789abcdef");
    private static readonly DateTime Now = new(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);

    private readonly Mock<TaskOrchestrationContext> _context = new();
    private readonly Queue<StepOutcome> _outcomes = new();

    public CampaignOrchestrationTests()
    {
        _context.Setup(c => c.CreateReplaySafeLogger(It.IsAny<string>())).Returns(NullLogger.Instance);
        _context.Setup(c => c.CurrentUtcDateTime).Returns(Now);
        _context.Setup(c => c.CallActivityAsync<StepOutcome>(It.Is<TaskName>(n => n.Name == CampaignStepActivity.Name), Run, It.IsAny<TaskOptions?>()))
            .Returns(() => Task.FromResult(_outcomes.Count > 0 ? _outcomes.Dequeue() : StepOutcome.Continue()));
    }

    private int Steps => _context.Invocations.Count(i =>
        i.Method.Name == nameof(TaskOrchestrationContext.CallActivityAsync) && i.Arguments[0] is TaskName { Name: CampaignStepActivity.Name });

    [Fact]
    public async Task A_finished_campaign_ends_the_orchestration_with_its_state()
    {
        _outcomes.Enqueue(StepOutcome.Continue());
        _outcomes.Enqueue(StepOutcome.Stop("completed"));

        var result = await new CampaignOrchestration().RunAsync(_context.Object, Run);

        Assert.Equal("completed", result);
        Assert.Equal(2, Steps);
        _context.Verify(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()), Times.Never);
    }

    [Fact]
    public async Task A_deferral_sleeps_on_a_durable_timer_until_its_time_then_steps_again()
    {
        var at = new DateTimeOffset(Now.AddMinutes(7));
        _outcomes.Enqueue(StepOutcome.DeferUntil(at));
        _outcomes.Enqueue(StepOutcome.Stop("completed"));
        var wake = new TaskCompletionSource<string>();
        _context.Setup(c => c.CreateTimer(at.UtcDateTime, It.IsAny<CancellationToken>())).Returns(Task.CompletedTask).Verifiable(Times.Once);
        _context.Setup(c => c.WaitForExternalEvent<string>(CampaignOrchestration.WakeEvent, It.IsAny<CancellationToken>())).Returns(wake.Task);

        Assert.Equal("completed", await new CampaignOrchestration().RunAsync(_context.Object, Run));

        _context.Verify();
        Assert.Equal(2, Steps);
    }

    [Fact]
    public async Task A_command_wakes_a_deferred_campaign_before_its_timer_and_the_timer_is_cancelled()
    {
        _outcomes.Enqueue(StepOutcome.DeferUntil(new DateTimeOffset(Now.AddHours(9))));
        _outcomes.Enqueue(StepOutcome.Stop("cancelled"));
        CancellationToken timerToken = default;
        _context.Setup(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>()))
            .Callback<DateTime, CancellationToken>((_, token) => timerToken = token).Returns(new TaskCompletionSource().Task);
        _context.Setup(c => c.WaitForExternalEvent<string>(CampaignOrchestration.WakeEvent, It.IsAny<CancellationToken>())).ReturnsAsync("command");

        Assert.Equal("cancelled", await new CampaignOrchestration().RunAsync(_context.Object, Run));

        Assert.True(timerToken.IsCancellationRequested);
        Assert.Equal(2, Steps);
    }

    [Fact]
    public async Task A_paused_campaign_waits_for_a_command_and_steps_again_when_woken()
    {
        _outcomes.Enqueue(StepOutcome.Stop("paused"));
        _outcomes.Enqueue(StepOutcome.Stop("completed"));
        _context.Setup(c => c.CreateTimer(Now + CampaignOrchestration.IdleRecheck, It.IsAny<CancellationToken>())).Returns(new TaskCompletionSource().Task).Verifiable(Times.Once);
        _context.Setup(c => c.WaitForExternalEvent<string>(CampaignOrchestration.WakeEvent, It.IsAny<CancellationToken>())).ReturnsAsync("command").Verifiable(Times.Once);

        Assert.Equal("completed", await new CampaignOrchestration().RunAsync(_context.Object, Run));

        _context.Verify();
        Assert.Equal(2, Steps);
    }

    [Fact]
    public async Task A_step_that_saw_the_pause_says_so_in_the_custom_status_until_the_next_step()
    {
        // What a test (or an operator) waits for to know no step is in flight any more.
        _outcomes.Enqueue(StepOutcome.Stop("paused"));
        _outcomes.Enqueue(StepOutcome.DeferUntil(new DateTimeOffset(Now.AddMinutes(1))));
        _outcomes.Enqueue(StepOutcome.Stop("completed"));
        _context.Setup(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        _context.Setup(c => c.WaitForExternalEvent<string>(CampaignOrchestration.WakeEvent, It.IsAny<CancellationToken>())).Returns(new TaskCompletionSource<string>().Task);
        var statuses = new List<object?>();
        _context.Setup(c => c.SetCustomStatus(It.IsAny<object?>())).Callback<object?>(statuses.Add);

        await new CampaignOrchestration().RunAsync(_context.Object, Run);

        Assert.Equal(["paused", null, "completed"], statuses);
    }

    [Fact]
    public async Task A_paused_campaign_whose_wake_was_lost_looks_again_after_an_hour()
    {
        _outcomes.Enqueue(StepOutcome.Stop("paused"));
        _outcomes.Enqueue(StepOutcome.Stop("completed"));
        _context.Setup(c => c.CreateTimer(Now + CampaignOrchestration.IdleRecheck, It.IsAny<CancellationToken>())).Returns(Task.CompletedTask).Verifiable(Times.Once);
        _context.Setup(c => c.WaitForExternalEvent<string>(CampaignOrchestration.WakeEvent, It.IsAny<CancellationToken>())).Returns(new TaskCompletionSource<string>().Task);

        Assert.Equal("completed", await new CampaignOrchestration().RunAsync(_context.Object, Run));

        _context.Verify();
        Assert.Equal(2, Steps);
    }

    [Fact]
    public async Task After_a_generation_of_steps_it_continues_as_new_keeping_events_that_arrived()
    {
        var result = await new CampaignOrchestration().RunAsync(_context.Object, Run);

        Assert.Equal("continued", result);
        Assert.Equal(CampaignOrchestration.StepsPerGeneration, Steps);
        _context.Verify(c => c.ContinueAsNew(Run, true), Times.Once);
    }

    [Fact]
    public async Task A_step_that_keeps_failing_fails_the_campaign_with_the_reason_and_ends()
    {
        var failure = new TaskFailedException(CampaignStepActivity.Name, 1, new InvalidOperationException("storage says no"));
        _context.Setup(c => c.CallActivityAsync<StepOutcome>(It.Is<TaskName>(n => n.Name == CampaignStepActivity.Name), Run, CampaignOrchestration.StepRetry))
            .ThrowsAsync(failure);
        _context.Setup(c => c.CallActivityAsync(It.Is<TaskName>(n => n.Name == CampaignFailActivity.Name), Run, It.IsAny<TaskOptions?>()))
            .Returns(Task.CompletedTask).Verifiable(Times.Once);

        Assert.Equal("failed", await new CampaignOrchestration().RunAsync(_context.Object, Run));

        _context.Verify();
        _context.Verify(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()), Times.Never);
    }
}
