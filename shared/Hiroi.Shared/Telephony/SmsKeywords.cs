namespace Hiroi.Shared.Telephony;

public enum SmsKeyword
{
    None,
    OptOut,
    OptIn,
    Help,
}

/// <summary>
/// Carrier-style keywords, matched on the whole trimmed message in any case ("STOP please" is a conversation, not a
/// keyword). YES counts as an opt-in only from someone who opted out; from anyone else it is an ordinary answer.
/// </summary>
public static class SmsKeywords
{
    private static readonly HashSet<string> OptOut = new(StringComparer.OrdinalIgnoreCase)
        { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT" };

    private static readonly HashSet<string> OptIn = new(StringComparer.OrdinalIgnoreCase) { "START", "UNSTOP", "YES" };

    private static readonly HashSet<string> Help = new(StringComparer.OrdinalIgnoreCase) { "HELP", "INFO" };

    public static SmsKeyword Classify(string? message)
    {
        var word = message?.Trim() ?? string.Empty;
        return OptOut.Contains(word) ? SmsKeyword.OptOut
            : OptIn.Contains(word) ? SmsKeyword.OptIn
            : Help.Contains(word) ? SmsKeyword.Help
            : SmsKeyword.None;
    }

    /// <summary>YES is conversational unless the sender is opted out.</summary>
    public static bool IsOnlyConditionalOptIn(string message) => message.Trim().Equals("YES", StringComparison.OrdinalIgnoreCase);
}
