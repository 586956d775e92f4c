namespace Hiroi.Shared.Storage;

/// <summary>Checks a key that came from outside (a URL segment) before it reaches Table Storage.</summary>
public static class TableKeys
{
    /// <summary>
    /// Ids we hand out are short and plain; anything with characters Table Storage forbids in keys
    /// (<c>/ \ # ?</c>, control characters) or longer than 128 is not a row we own.
    /// </summary>
    public static bool IsAcceptable(string? key) =>
        !string.IsNullOrEmpty(key)
        && key.Length <= 128
        && key.AsSpan().IndexOfAny(['/', '\\', '#', '?']) < 0
        && !key.Any(char.IsControl);
}
