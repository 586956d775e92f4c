using System.Text.Json;
using Hiroi.Shared.Events;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.HandOffs;

/// <summary>Does one kind of handed-off work; a host calls it through <see cref="HandOffProcessor"/>, never directly.</summary>
public interface IHandOffHandler<T>
{
    Task HandleAsync(HandOff<T> handOff, CancellationToken cancellationToken);
}

public enum HandOffResult
{
    /// <summary>Done now or before: the message can go.</summary>
    Done,

    /// <summary>Another delivery of the same message is doing it right now: leave the message, it comes back.</summary>
    HeldElsewhere,
}

/// <summary>
/// Exactly-once effects over the queues' at-least-once delivery, for both hosts (the self-host's drain, the Functions
/// app's queue trigger): each message's id is claimed in <see cref="EventClaims"/> before its handler runs and marked done
/// after, so a message delivered twice (a visibility timeout that ran out, a delete that failed) acts once. A handler that
/// crashed mid-way is run again once its claim's lease ends; the handlers keep that case harmless (the mail's ACS
/// repeatability id is the message id).
/// </summary>
public sealed class HandOffProcessor(EventClaims claims, ILogger<HandOffProcessor> logger)
{
    /// <summary>Handles one message's text; throws when it failed (it is then delivered again, and poisoned after too many tries).</summary>
    public async Task<HandOffResult> ProcessAsync<T>(string queue, string message, IHandOffHandler<T> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var handOff = Parse<T>(message) ?? throw new FormatException($"A message on {queue} is not a hand-off of its kind.");
        var claim = await claims.ClaimAsync("handoff:" + queue, handOff.Id.ToString("N"), cancellationToken).ConfigureAwait(false);
        switch (claim.Outcome)
        {
            case ClaimOutcome.AlreadyDone:
                logger.LogInformation("Hand-off {HandOffId} on {Queue} was done before: delivered again, not acted on again", handOff.Id, queue);
                return HandOffResult.Done;
            case ClaimOutcome.InProgress:
                return HandOffResult.HeldElsewhere;
        }

        try
        {
            await handler.HandleAsync(handOff, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Given back, so the next delivery acts afresh rather than waiting out the lease.
            await claims.ReleaseAsync(claim, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await claims.CompleteAsync(claim, cancellationToken).ConfigureAwait(false);
        return HandOffResult.Done;
    }

    /// <summary>A hand-off as its queue message's text (JSON; the queue client base64-encodes it).</summary>
    public static string Format<T>(HandOff<T> handOff) => JsonSerializer.Serialize(handOff, HandOffJson.Options);

    /// <summary>The message's hand-off, or null when it is not exactly one (it then fails every delivery and goes to the poison queue).</summary>
    public static HandOff<T>? Parse<T>(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            return null;
        }

        try
        {
            var handOff = JsonSerializer.Deserialize<HandOff<T>>(message, HandOffJson.Options);
            return handOff is { Item: not null } && handOff.Id != Guid.Empty ? handOff : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
