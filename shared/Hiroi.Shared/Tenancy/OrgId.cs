using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Hiroi.Shared.Tenancy;

/// <summary>
/// An organization's id: <c>org_</c> followed by 20 lowercase hex digits (80 random bits).
/// It is the PartitionKey of every row the org owns.
/// </summary>
public readonly record struct OrgId
{
    private const string Prefix = "org_";
    internal const int HexLength = 20;

    private OrgId(string value) => Value = value;

    public string Value { get; }

    public static OrgId New() => new(Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(HexLength / 2)));

    /// <summary>Builds an id from the hex part carried inside an API key.</summary>
    internal static OrgId FromHex(string hex) => new(Prefix + hex);

    internal string Hex => Value[Prefix.Length..];

    public static bool TryParse([NotNullWhen(true)] string? text, out OrgId id)
    {
        id = default;
        if (text is null || text.Length != Prefix.Length + HexLength || !text.StartsWith(Prefix, StringComparison.Ordinal)
            || !LowerHex.IsLowerHex(text.AsSpan(Prefix.Length)))
        {
            return false;
        }

        id = new OrgId(text);
        return true;
    }

    public override string ToString() => Value;
}

internal static class LowerHex
{
    public static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
