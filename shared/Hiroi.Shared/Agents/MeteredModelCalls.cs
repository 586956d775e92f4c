using System.Text.Json;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.AI;

namespace Hiroi.Shared.Agents;

/// <summary>
/// The model calls of one turn and what they used. Every call reserves against the caps before it is made (its prompt
/// as sent, tool answers included, plus the most output it may produce), and is settled right after it with what the
/// model reported, in a <c>finally</c> that ignores the caller's cancellation: a turn can pass a cap by at most one
/// call's misestimate, however many tool rounds it runs, and a caller that goes away leaves no reservation behind.
/// </summary>
public sealed class TurnMeter(UsageMeter meter, OrgId org, AgentEntity agent, string channel, ScopeCaps? scope, ModelPrice price, int maxOutputTokens, TimeProvider time)
{
    private int _calls;

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    public long CostMicroUsd { get; private set; }

    /// <summary>The cap that refused a call, once one did (the turn stops there).</summary>
    public CapRefusal? Refusal { get; private set; }

    /// <summary>Reserves for a call with this prompt; throws <see cref="TurnCapReachedException"/> when a cap refuses it.</summary>
    public async Task<UsageReservation> ReserveAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var input = EstimatedInputTokens(messages, options);
        var (reservation, refusal) = await meter.TryReserveAsync(
            org, agent, channel, input + maxOutputTokens, MicroUsd.Cost(price, input, maxOutputTokens), time.GetUtcNow(), cancellationToken, scope).ConfigureAwait(false);
        if (reservation is null)
        {
            Refusal = refusal;
            throw new TurnCapReachedException(refusal!.Reason);
        }

        return reservation;
    }

    /// <summary>
    /// Settles a call: with what the model reported when it answered; in full when the caller went away during it (it
    /// may have run); released when it failed without an answer (it cost nothing).
    /// </summary>
    public async Task SettleAsync(UsageReservation reservation, ChatResponse? response, bool callerWentAway)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (response is null && !callerWentAway)
        {
            await meter.ReleaseAsync(org, reservation, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var input = response is null ? reservation.Tokens : response.Usage?.InputTokenCount ?? reservation.Tokens - maxOutputTokens;
        var output = response?.Usage?.OutputTokenCount ?? 0;
        var cost = response is null ? reservation.MicroUsd : MicroUsd.Cost(price, input, output);
        await meter.SettleAsync(org, reservation, input, output, cost, CancellationToken.None, newTurn: Interlocked.Increment(ref _calls) == 1).ConfigureAwait(false);
        (InputTokens, OutputTokens, CostMicroUsd) = (InputTokens + input, OutputTokens + output, CostMicroUsd + cost);
    }

    /// <summary>Characters / 4 of everything the call sends: messages, tool calls and answers, and the tools' declarations.</summary>
    private static long EstimatedInputTokens(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        long characters = 0;
        foreach (var content in messages.SelectMany(m => m.Contents))
        {
            characters += content switch
            {
                TextContent text => text.Text.Length,
                FunctionCallContent call => call.Name.Length + JsonSerializer.Serialize(call.Arguments).Length,
                FunctionResultContent result => JsonSerializer.Serialize(result.Result).Length,
                _ => 0,
            };
        }

        foreach (var tool in options?.Tools?.OfType<AIFunctionDeclaration>() ?? [])
        {
            characters += tool.Name.Length + tool.Description.Length + tool.JsonSchema.GetRawText().Length;
        }

        return (characters + 3) / 4;
    }
}

/// <summary>A model call of a turn was refused by a cap; <see cref="TurnMeter.Refusal"/> says which.</summary>
public sealed class TurnCapReachedException : Exception
{
    public TurnCapReachedException()
    {
    }

    public TurnCapReachedException(string message)
        : base(message)
    {
    }

    public TurnCapReachedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Sits between the function-invocation loop and the model, so every round of a turn goes through
/// <see cref="TurnMeter"/>. Streaming is refused: a turn's calls are metered one whole response at a time.
/// </summary>
public sealed class MeteredChatClient(IChatClient model, TurnMeter turn) : DelegatingChatClient(model)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var prompt = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var reservation = await turn.ReserveAsync(prompt, options, cancellationToken).ConfigureAwait(false);
        ChatResponse? response = null;
        try
        {
            response = await base.GetResponseAsync(prompt, options, cancellationToken).ConfigureAwait(false);
            return response;
        }
        finally
        {
            await turn.SettleAsync(reservation, response, cancellationToken.IsCancellationRequested).ConfigureAwait(false);
        }
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A turn's model calls are metered one whole response at a time.");
}
