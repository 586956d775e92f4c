namespace Hiroi.Shared.Agents;

/// <summary>Money as whole millionths of a dollar: exact sums in counters, and a price per million tokens is micro-USD per token.</summary>
public static class MicroUsd
{
    /// <summary>
    /// The most any one amount may be: a billion dollars, far above every cap and price, and far enough below
    /// <see cref="long.MaxValue"/> micro-dollars (about 9.2 trillion dollars) that counters summing such amounts cannot overflow.
    /// </summary>
    public const decimal MaxUsd = 1_000_000_000m;

    private const long MaxMicroUsd = 1_000_000_000_000_000;

    /// <summary>More tokens than any call has; keeps tokens × price within decimal's range.</summary>
    private const long MaxTokens = 1_000_000_000_000;

    /// <summary>
    /// Dollars as micro-dollars, rounded half away from zero; false (never an overflow) for a negative amount or one above
    /// <see cref="MaxUsd"/>, so a reader of outside input refuses it as a validation problem.
    /// </summary>
    public static bool TryFromUsd(decimal usd, out long microUsd)
    {
        microUsd = 0;
        if (usd < 0 || usd > MaxUsd)
        {
            return false;
        }

        microUsd = (long)decimal.Round(usd * 1_000_000m, MidpointRounding.AwayFromZero);
        return true;
    }

    /// <summary>An amount already validated (settings, checked requests); one out of range is a bug, not input.</summary>
    public static long FromUsd(decimal usd) =>
        TryFromUsd(usd, out var microUsd) ? microUsd : throw new ArgumentOutOfRangeException(nameof(usd), usd, $"Amounts are 0 to {MaxUsd} dollars.");

    public static decimal ToUsd(long microUsd) => microUsd / 1_000_000m;

    /// <summary>
    /// The cost of a model call, rounded up to the next micro-dollar. Token counts come from the model's answer, so a count no
    /// call can have costs <see cref="MaxUsd"/> (which crosses every cap) instead of overflowing.
    /// </summary>
    public static long Cost(ModelPrice price, long inputTokens, long outputTokens)
    {
        ArgumentNullException.ThrowIfNull(price);
        return Cost([(inputTokens, price.InputUsdPerMillionTokens), (outputTokens, price.OutputUsdPerMillionTokens)]);
    }

    /// <summary>The cost of tokens of several kinds, each at its own price per million (a realtime model's text and audio), saturating as above.</summary>
    public static long Cost(ReadOnlySpan<(long Tokens, decimal UsdPerMillionTokens)> parts)
    {
        var cost = 0m;
        foreach (var (tokens, usdPerMillion) in parts)
        {
            cost += Math.Clamp(tokens, 0, MaxTokens) * usdPerMillion;
        }

        cost = decimal.Ceiling(cost);
        return cost > MaxMicroUsd ? MaxMicroUsd : (long)cost;
    }
}
