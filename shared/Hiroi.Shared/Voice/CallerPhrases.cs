using System.Text;

namespace Hiroi.Shared.Voice;

/// <summary>
/// What a caller's words mean to the platform before the agent hears them: a request never to be called again (TCPA: it
/// goes on the do-not-contact list, whatever the agent would say), or an answering machine's greeting on a campaign
/// call (there is no answering-machine detection in Call Automation: the first utterance is classified).
/// </summary>
public static class CallerPhrases
{
    private static readonly string[] OptOut =
    [
        "stop calling", "do not call", "dont call", "never call", "quit calling", "stop phoning",
        "remove me from your list", "remove me from your calling list", "remove my number", "take me off your list",
        "take me off your calling list", "put me on your do not call list", "add me to your do not call list",
    ];

    private static readonly string[] Machine =
    [
        "leave a message", "leave your message", "leave me a message", "after the tone", "after the beep", "at the tone",
        "record your message", "voicemail", "voice mail", "mailbox", "is not available", "is unavailable",
        "cant come to the phone", "cannot come to the phone", "cant take your call", "cannot take your call", "not available to take your call",
    ];

    public static bool IsOptOut(string? text) => Matches(text, OptOut);

    public static bool IsAnsweringMachine(string? text) => Matches(text, Machine);

    private static bool Matches(string? text, string[] phrases)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var normalized = " " + Normalize(text) + " ";
        return phrases.Any(p => normalized.Contains(" " + p + " ", StringComparison.Ordinal));
    }

    /// <summary>Lower case, apostrophes dropped ("don't" = "dont"), every other non-letter a single space.</summary>
    private static string Normalize(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (c is '\'' or '\u2019')
            {
                continue;
            }

            if (char.IsLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
                space = false;
            }
            else if (!space)
            {
                builder.Append(' ');
                space = true;
            }
        }

        return builder.ToString().Trim();
    }
}
