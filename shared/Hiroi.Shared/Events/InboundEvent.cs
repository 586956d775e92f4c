using System.Diagnostics.CodeAnalysis;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Hiroi.Shared;

namespace Hiroi.Shared.Events;

/// <summary>One delivered event, whichever schema carried it (Event Grid or CloudEvents 1.0). Its typed data is parsed once.</summary>
public sealed record InboundEvent(string Source, string Id, string Type, string? Subject, DateTimeOffset Time, BinaryData Data, Func<object?> SystemData)
{
    public static InboundEvent From(EventGridEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var data = new Lazy<object?>(() => e.TryGetSystemEventData(out var typed) ? typed : null);
        return new(e.Topic ?? string.Empty, e.Id, e.EventType, e.Subject, e.EventTime, e.Data ?? BinaryData.Empty, () => data.Value);
    }

    public static InboundEvent From(CloudEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var data = new Lazy<object?>(() => e.TryGetSystemEventData(out var typed) ? typed : null);
        return new(e.Source, e.Id, e.Type, e.Subject, e.Time ?? DateTimeOffset.MinValue, e.Data ?? BinaryData.Empty, () => data.Value);
    }

    /// <summary>The event's data as the SDK's typed system event; a missing or mistyped payload is <see cref="MalformedEventException"/>.</summary>
    public T DataAs<T>() where T : class =>
        TryReadData<T>(out var data) ? data : throw new MalformedEventException($"data of {Type} is not a well-formed {typeof(T).Name}");

    /// <summary>
    /// The event's data as the SDK's typed system event, or false (never an exception) when it is missing, of another type
    /// or malformed. The SDK's reader throws what it likes on a payload it cannot map (format, overflow, null reference,
    /// key not found...): whatever it throws over the sender's bytes is a refusal of those bytes.
    /// </summary>
    public bool TryReadData<T>([NotNullWhen(true)] out T? data) where T : class
    {
        data = OutsideInput.OrNull(() => SystemData() as T);
        return data is not null;
    }
}

/// <summary>An event whose payload cannot be handled as sent; answered 400 so Event Grid dead-letters instead of retrying.</summary>
public sealed class MalformedEventException : Exception
{
    public MalformedEventException()
    {
    }

    public MalformedEventException(string message) : base(message)
    {
    }

    public MalformedEventException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Handles one ACS event type. Handlers are idempotent: a claim retaken after a crash may run them twice.</summary>
public interface IAcsEventConsumer
{
    string EventType { get; }

    Task HandleAsync(InboundEvent inbound, CancellationToken cancellationToken);
}

/// <summary>
/// A consumer some of whose events need no claim: handling them is one conditional write keyed by the event itself, so a
/// redelivery changes nothing (saves two storage round trips on the busiest path). Events that act outside storage (send
/// an SMS, answer a call) still go through the claim.
/// </summary>
public interface ISelfDeduplicatingConsumer : IAcsEventConsumer
{
    bool DeduplicatesItself(InboundEvent inbound);

    /// <summary>Handles an event <see cref="DeduplicatesItself"/> accepted; false when it had been handled before.</summary>
    Task<bool> HandleUnclaimedAsync(InboundEvent inbound, CancellationToken cancellationToken);
}
