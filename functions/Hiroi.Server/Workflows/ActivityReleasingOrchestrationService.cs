using DurableTask.Core;

namespace Hiroi.Server.Workflows;

/// <summary>
/// The engine's <see cref="IOrchestrationService"/> with one repair: an activity work item given back while storage is
/// down is given back again until storage takes it. DurableTask.AzureStorage forgets an activity's session only once
/// its abandon (or completion) reached the queue; when that write fails (storage stopped under the engine), the session
/// stays in memory as running, and the message, visible again after its timeout, is refused on every later delivery
/// ("is being processed multiple times concurrently") until the process restarts: the campaign waits for a restart.
/// Retrying the abandon while storage is away holds one activity slot for the outage and then lets the message run again
/// (activities here are idempotent). Everything else passes through.
/// </summary>
public sealed class ActivityReleasingOrchestrationService(
    IOrchestrationService inner, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<ActivityReleasingOrchestrationService> logger) : IOrchestrationService
{
    /// <summary>The longest wait between two tries to give an activity back.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        var wait = TimeSpan.FromMilliseconds(250);
        for (var tries = 1; ; tries++)
        {
            try
            {
                await inner.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
                return;
            }
            // The engine wraps storage's faults in its own exception type; any failure here is a write to the queue.
            catch (Exception e) when (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                if (tries == 1)
                {
                    logger.LogWarning("Giving back activity work item {WorkItem} failed ({Error}); retrying until storage answers", workItem.Id, e.GetType().Name);
                }

                await Task.Delay(wait, time, lifetime.ApplicationStopping).ConfigureAwait(false);
                wait = wait * 2 < MaxBackoff ? wait * 2 : MaxBackoff;
            }
        }
    }

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;

    public Task StartAsync() => inner.StartAsync();

    public Task StopAsync() => inner.StopAsync();

    public Task StopAsync(bool isForced) => inner.StopAsync(isForced);

    public Task CreateAsync() => inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages, TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState) =>
        inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages,
            continuedAsNewMessage, orchestrationState);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);

    public Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage) =>
        inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
}
