using Hiroi.Shared.Storage;

namespace Hiroi.Shared.Events;

/// <summary>
/// Bounds on the event fields we store or pass on, checked before any storage call: an event no table could hold is
/// malformed (400, dead-lettered) rather than a storage error Event Grid would retry for a day. The limits sit well
/// above what ACS sends (message ids of about 70 characters, server call ids of a few hundred, call contexts of a few
/// KiB, carrier-concatenated SMS of a few thousand characters) and below Table Storage's 1 KiB key and 64 KiB property.
/// </summary>
public static class EventFields
{
    public const int MaxSmsText = 10_000;
    public const int MaxServerCallId = 1_024;
    public const int MaxIncomingCallContext = 16 * 1024;
    public const int MaxShortText = 1_024;

    /// <summary>An ACS message id: it becomes part of a row key, so it must be a plain key of at most 128 characters.</summary>
    public static string MessageId(string? value, string eventName) =>
        TableKeys.IsAcceptable(value) ? value! : throw new MalformedEventException($"{eventName}: messageId is missing or not a plain id");

    /// <summary><paramref name="value"/> itself when it is at most <paramref name="max"/> characters (null passes).</summary>
    public static string? Bounded(string? value, int max, string field) =>
        value is null || value.Length <= max ? value : throw new MalformedEventException($"{field} is longer than {max} characters");
}
