using System.Collections;
using System.Reflection;
using DurableTask.AzureStorage;
using DurableTask.Core;

namespace Hiroi.Server.Workflows;

/// <summary>
/// The engine's <see cref="IOrchestrationService"/> with one repair. DurableTask.AzureStorage remembers each activity it
/// handed out until giving it back (its completion or abandon) reaches the work-item queue. When that write fails (storage
/// stopped under the engine), it remembers the activity for good: the message, visible again after its timeout, is then
/// refused on every later delivery ("is being processed multiple times concurrently") until the process restarts, and a
/// campaign stalls. Trying the abandon again does not help once the message was delivered again (its pop receipt changed).
/// So when an abandon fails, the engine's memory of that activity is dropped: the message comes back by itself when its
/// visibility timeout ends, and runs again (activities here are idempotent). Everything else passes through.
/// </summary>
public sealed class ActivityReleasingOrchestrationService(IOrchestrationService inner, ILogger<ActivityReleasingOrchestrationService> logger) : IOrchestrationService
{
    // The engine's own record of the activities it handed out (DurableTask.AzureStorage 2.x); checked by a test, so a
    // version that renames it fails there rather than here.
    private static readonly FieldInfo? ActiveActivities =
        typeof(AzureStorageOrchestrationService).GetField("activeActivitySessions", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>Whether this engine's record of handed-out activities can be reached (false: a version of the engine that changed).</summary>
    public static bool CanForget => ActiveActivities?.FieldType.IsAssignableTo(typeof(IDictionary)) == true;

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        ArgumentNullException.ThrowIfNull(workItem);
        try
        {
            await inner.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
        }
        catch (Exception e) when (Forget(workItem.Id))
        {
            logger.LogWarning("Activity work item {WorkItem} could not be given back ({Error}): it runs again when its message's visibility timeout ends",
                workItem.Id, e.GetType().Name);
        }
    }

    /// <summary>Drops the engine's memory of a handed-out activity; false when it cannot (then the failure surfaces as before).</summary>
    private bool Forget(string workItemId)
    {
        if (!CanForget || ActiveActivities!.GetValue(inner) is not IDictionary active)
        {
            return false;
        }

        active.Remove(workItemId);
        return true;
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
