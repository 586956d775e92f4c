using System.Globalization;

namespace Hiroi.Shared.Voice;

/// <summary>What a media operation was for; ACS hands it back on the operation's events.</summary>
public enum MediaPurpose
{
    /// <summary>The agent's line for a turn (the greeting is turn 0), then listening for the caller.</summary>
    Prompt,

    /// <summary>"Are you still there?" after silence, then listening again for the same turn.</summary>
    Reprompt,

    /// <summary>"One moment." while the model thinks, listening meanwhile: speaking over it starts a new turn.</summary>
    Filler,

    /// <summary>The apology after a failed transfer, then listening: the conversation goes on.</summary>
    Apology,

    /// <summary>The last line before hanging up.</summary>
    Goodbye,

    /// <summary>The line before a transfer to a person.</summary>
    Handoff,
}

/// <summary>
/// The <c>operationContext</c> we give each media operation: <c>hv1.{turn}.{purpose}</c>. ACS returns it on the
/// operation's callbacks, so a callback names the turn it belongs to and a stale one is recognised. Parsing refuses
/// anything that is not exactly a context we could have written (it comes back from outside) and never throws.
/// </summary>
public readonly record struct MediaContext(int Turn, MediaPurpose Purpose)
{
    private const string Prefix = "hv1.";
    private const int MaxTurn = 100_000;

    public override string ToString() =>
        Prefix + Turn.ToString(CultureInfo.InvariantCulture) + "." + Purpose.ToString().ToLowerInvariant();

    /// <summary>Whether the caller's answer to this operation is an utterance of its turn.</summary>
    public bool Listens => Purpose is MediaPurpose.Prompt or MediaPurpose.Reprompt or MediaPurpose.Filler or MediaPurpose.Apology;

    public static bool TryParse(string? text, out MediaContext context)
    {
        context = default;
        if (text is null || text.Length > 32 || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = text.AsSpan(Prefix.Length);
        var dot = rest.IndexOf('.');
        if (dot is <= 0 or > 6)
        {
            return false;
        }

        var digits = rest[..dot];
        // Canonical decimal only: no sign, no leading zero (but "0"), digits 0-9.
        if ((digits.Length > 1 && digits[0] == '0') || digits.ContainsAnyExceptInRange('0', '9')
            || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var turn) || turn > MaxTurn)
        {
            return false;
        }

        MediaPurpose? purpose = rest[(dot + 1)..] switch
        {
            "prompt" => MediaPurpose.Prompt,
            "reprompt" => MediaPurpose.Reprompt,
            "filler" => MediaPurpose.Filler,
            "apology" => MediaPurpose.Apology,
            "goodbye" => MediaPurpose.Goodbye,
            "handoff" => MediaPurpose.Handoff,
            _ => null,
        };
        if (purpose is not { } p)
        {
            return false;
        }

        context = new MediaContext(turn, p);
        return true;
    }
}
