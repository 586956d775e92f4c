namespace Hiroi.Shared.Agents;

/// <summary>Money as whole millionths of a dollar: exact sums in counters, and a price per million tokens is micro-USD per token.</summary>
public static class MicroUsd
{
    public static long FromUsd(decimal usd) => (long)decimal.Round(usd * 1_000_000m, MidpointRounding.AwayFromZero);

    public static decimal ToUsd(long microUsd) => microUsd / 1_000_000m;

    /// <summary>The cost of a model call, rounded up to the next micro-dollar.</summary>
    public static long Cost(ModelPrice price, long inputTokens, long outputTokens)
    {
        ArgumentNullException.ThrowIfNull(price);
        return (long)decimal.Ceiling(inputTokens * price.InputUsdPerMillionTokens + outputTokens * price.OutputUsdPerMillionTokens);
    }
}
