using Hiroi.Shared.Agents;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>A reservation taken for the next response, or the cap that refused it.</summary>
internal sealed record HeldReservation(UsageReservation? Reservation, CapRefusal? Refusal);

/// <summary>
/// A realtime call's responses against the caps, as <see cref="TurnMeter"/> does for text turns: every response reserves
/// before it starts (the conversation so far, an allowance for the caller's latest utterance, and the most output it may
/// produce) against the org's, the agent's and the call's caps, and is settled with what the model reported, each kind
/// of token at its price (text, audio, cached). A call passes a cap by at most one response's misestimate.
/// </summary>
internal sealed class RealtimeMeter(
    UsageMeter meter, OrgId org, AgentEntity agent, ScopeCaps scope, ModelPrice price, RealtimeVoiceOptions options, TimeProvider time)
{
    private long _conversationTokens;

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    public long CostMicroUsd { get; private set; }

    public async Task<HeldReservation> ReserveAsync(CancellationToken cancellationToken)
    {
        var input = Volatile.Read(ref _conversationTokens) + options.UtteranceAllowanceTokens;
        var output = (long)options.MaxOutputTokens;
        // Priced at the dearest kind each way: the reservation must cover whatever the response turns out to be.
        var cost = MicroUsd.Cost([
            (input, Math.Max(price.InputUsdPerMillionTokens, price.AudioInputUsdPerMillionTokens)),
            (output, Math.Max(price.OutputUsdPerMillionTokens, price.AudioOutputUsdPerMillionTokens))]);
        var (reservation, refusal) = await meter.TryReserveAsync(org, agent, VoiceTurnRunner.Channel, input + output, cost, time.GetUtcNow(), cancellationToken, scope)
            .ConfigureAwait(false);
        return new HeldReservation(reservation, refusal);
    }

    /// <summary>Settles a response with what it used; <paramref name="newTurn"/> for the first response of a caller's turn.</summary>
    public async Task SettleAsync(UsageReservation reservation, RealtimeUsage usage, bool newTurn)
    {
        var cost = CostOf(usage);
        await meter.SettleAsync(org, reservation, usage.InputTokens, usage.OutputTokens, cost, CancellationToken.None, newTurn).ConfigureAwait(false);
        Volatile.Write(ref _conversationTokens, usage.InputTokens + usage.OutputTokens);
        (InputTokens, OutputTokens, CostMicroUsd) = (InputTokens + usage.InputTokens, OutputTokens + usage.OutputTokens, CostMicroUsd + cost);
    }

    /// <summary>A response that may have run but never reported (the session ended under it): settled as reserved.</summary>
    public Task SettleInFullAsync(UsageReservation reservation) =>
        meter.SettleAsync(org, reservation, reservation.Tokens, 0, reservation.MicroUsd, CancellationToken.None, newTurn: false);

    /// <summary>A reservation no response used.</summary>
    public Task ReleaseAsync(UsageReservation reservation) => meter.ReleaseAsync(org, reservation, CancellationToken.None);

    public long CostOf(RealtimeUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return MicroUsd.Cost([
            (usage.InputTextTokens, price.InputUsdPerMillionTokens),
            (usage.InputAudioTokens, Or(price.AudioInputUsdPerMillionTokens, price.InputUsdPerMillionTokens)),
            (usage.CachedInputTokens, Or(price.CachedInputUsdPerMillionTokens, price.InputUsdPerMillionTokens)),
            (usage.OutputTextTokens, price.OutputUsdPerMillionTokens),
            (usage.OutputAudioTokens, Or(price.AudioOutputUsdPerMillionTokens, price.OutputUsdPerMillionTokens))]);
    }

    private static decimal Or(decimal price, decimal fallback) => price > 0 ? price : fallback;
}
