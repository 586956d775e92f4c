namespace Hiroi.Shared.Events;

/// <summary>
/// Runs a parser we do not own (the Azure SDK's event and system-data readers) over bytes from outside. Such a parser
/// documents no complete list of what it throws on input it cannot map (format, overflow, null reference, key not found,
/// invalid operation...), so a list of exception types lets the next one through as a 500. Whatever it throws over the
/// sender's bytes is a refusal of those bytes; our own parsers return refusals and never need this.
/// </summary>
public static class OutsideInput
{
    /// <summary>What <paramref name="read"/> returns, or null when it throws (only running out of memory is let through).</summary>
    public static T? OrNull<T>(Func<T?> read) where T : class
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }
}
