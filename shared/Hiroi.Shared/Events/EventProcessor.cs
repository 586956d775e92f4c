using Hiroi.Shared.Events;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Events;

public enum EventResult
{
    Handled,
    Duplicate,
    Ignored,
    Malformed,
    Transient,
}

/// <summary>
/// Runs each event once: claim it, hand it to the handler for its type, then mark it done. A malformed payload or a
/// transient fault gives the claim back so a redelivery starts afresh; unknown types are acknowledged and ignored; an
/// event whose handler deduplicates itself runs without a claim. Used by the webhook and by the Call Automation
/// callback endpoint alike.
/// </summary>
public sealed class EventProcessor(IEnumerable<IAcsEventConsumer> handlers, EventClaims claims, TimeProvider time, ILogger<EventProcessor> logger)
{
    // A failed event's claim is given back within this, or left to expire with its lease.
    private static readonly TimeSpan ReleaseBound = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, IAcsEventConsumer> _handlers =
        handlers.ToDictionary(h => h.EventType, StringComparer.OrdinalIgnoreCase);

    public Task<EventResult> ProcessAsync(InboundEvent inbound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        if (!_handlers.TryGetValue(inbound.Type, out var handler))
        {
            logger.LogInformation("Ignoring event type {EventType}", inbound.Type);
            return Task.FromResult(EventResult.Ignored);
        }

        return handler is ISelfDeduplicatingConsumer self && self.DeduplicatesItself(inbound)
            ? RunAsync(inbound, self.HandleUnclaimedAsync, claim: null, cancellationToken)
            : RunOnceAsync(inbound, handler.HandleAsync, cancellationToken);
    }

    /// <summary>Runs <paramref name="handle"/> for the event unless it was handled before.</summary>
    public async Task<EventResult> RunOnceAsync(InboundEvent inbound, Func<InboundEvent, CancellationToken, Task> handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        ArgumentNullException.ThrowIfNull(handle);
        EventClaim claim;
        try
        {
            claim = await claims.ClaimAsync(inbound.Source, inbound.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (TransientFaults.IsTransient(e))
        {
            logger.LogWarning(e, "Could not claim event {EventId}", inbound.Id);
            return EventResult.Transient;
        }

        switch (claim.Outcome)
        {
            case ClaimOutcome.AlreadyDone:
                return EventResult.Duplicate;
            case ClaimOutcome.InProgress:
                return EventResult.Transient;
        }

        return await RunAsync(inbound, async (e, ct) =>
        {
            await handle(e, ct).ConfigureAwait(false);
            return true;
        }, claim, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the handler (which says whether it had an effect), keeping its claim's lease alive meanwhile, then completes
    /// the claim if any; a failure gives the claim back.
    /// </summary>
    private async Task<EventResult> RunAsync(
        InboundEvent inbound, Func<InboundEvent, CancellationToken, Task<bool>> handle, EventClaim? claim, CancellationToken cancellationToken)
    {
        using var renewing = new CancellationTokenSource();
        var renewal = claim is null ? Task.FromResult<EventClaim?>(null) : RenewWhileRunningAsync(claim, renewing.Token);
        async Task<EventClaim?> StopRenewingAsync()
        {
            await renewing.CancelAsync().ConfigureAwait(false);
            return await renewal.ConfigureAwait(false) ?? claim;
        }

        try
        {
            var hadEffect = await handle(inbound, cancellationToken).ConfigureAwait(false);
            claim = await StopRenewingAsync().ConfigureAwait(false);
            if (claim is not null)
            {
                await claims.CompleteAsync(claim, cancellationToken).ConfigureAwait(false);
            }

            return hadEffect ? EventResult.Handled : EventResult.Duplicate;
        }
        catch (MalformedEventException e)
        {
            logger.LogWarning("Malformed {EventType} event {EventId}: {Reason}", inbound.Type, inbound.Id, e.Message);
            await ReleaseQuietlyAsync(await StopRenewingAsync().ConfigureAwait(false)).ConfigureAwait(false);
            return EventResult.Malformed;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 400)
        {
            // Storage refused the event's content itself (a key or value it cannot hold): no retry would change that.
            logger.LogWarning("Storage refused {EventType} event {EventId}: {ErrorCode}", inbound.Type, inbound.Id, e.ErrorCode);
            await ReleaseQuietlyAsync(await StopRenewingAsync().ConfigureAwait(false)).ConfigureAwait(false);
            return EventResult.Malformed;
        }
        catch (Exception e) when (TransientFaults.IsTransient(e) || e is SecretStoreUnavailableException || e is OperationCanceledException)
        {
            logger.LogWarning(e, "Transient fault handling {EventType} event {EventId}", inbound.Type, inbound.Id);
            await ReleaseQuietlyAsync(await StopRenewingAsync().ConfigureAwait(false)).ConfigureAwait(false);
            return EventResult.Transient;
        }
    }

    /// <summary>Keeps the claim's lease alive while its handler runs (an agent's turn may take longer than a lease); the claim as last renewed.</summary>
    private async Task<EventClaim?> RenewWhileRunningAsync(EventClaim claim, CancellationToken stop)
    {
        var current = claim;
        try
        {
            while (true)
            {
                await Task.Delay(claims.Lease / 3, time, stop).ConfigureAwait(false);
                current = await claims.RenewAsync(current, stop).ConfigureAwait(false) ?? current;
            }
        }
        catch (OperationCanceledException)
        {
            return current;
        }
        catch (Exception e) when (TransientFaults.IsTransient(e))
        {
            logger.LogWarning(e, "Could not renew the claim of event; it may be retaken once its lease ends");
            return current;
        }
    }

    private async Task ReleaseQuietlyAsync(EventClaim? claim)
    {
        if (claim is null)
        {
            return;
        }

        try
        {
            // Best effort, and bounded: storage that just failed the handler may hang here too, and the answer (503) waits on it.
            using var bounded = new CancellationTokenSource(ReleaseBound);
            await claims.ReleaseAsync(claim, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (TransientFaults.IsTransient(e) || e is Azure.RequestFailedException || e is OperationCanceledException)
        {
            // The lease expires on its own; the redelivery takes the claim over then.
            logger.LogWarning(e, "Could not release the claim of a failed event");
        }
    }
}
