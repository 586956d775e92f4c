using System.Diagnostics.CodeAnalysis;

namespace Hiroi.Shared.Widget;

/// <summary>
/// Web origins as widget keys hold them: <c>scheme://host[:port]</c>, lower-case, default port dropped, so a browser's
/// <c>Origin</c> header compares by plain equality. No wildcards, paths, queries, fragments or user info; https, or
/// http only to localhost for local work.
/// </summary>
public static class WidgetOrigins
{
    public const int MaxLength = 253 + 16;

    /// <summary>The canonical form of <paramref name="text"/>, or false with the reason.</summary>
    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? origin, [NotNullWhen(false)] out string? error)
    {
        origin = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxLength)
        {
            error = "must be scheme://host[:port]";
            return false;
        }

        if (text.Contains('*', StringComparison.Ordinal))
        {
            error = "may not be a wildcard: list each origin exactly";
            return false;
        }

        var trimmed = text.EndsWith('/') ? text[..^1] : text; // "https://a.com/" is the same origin
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.HostNameType == UriHostNameType.Unknown)
        {
            error = "must be scheme://host[:port] with scheme https (or http for localhost)";
            return false;
        }

        if (uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || trimmed.IndexOf('/', uri.Scheme.Length + 3) >= 0 || trimmed.Contains('@', StringComparison.Ordinal))
        {
            error = "must be only scheme://host[:port]: no path, query, fragment or user info";
            return false;
        }

        if (uri.Scheme == "http" && !uri.IsLoopback)
        {
            error = "must be https (http only for localhost)";
            return false;
        }

        origin = uri.IsDefaultPort ? $"{uri.Scheme}://{uri.IdnHost}" : $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}";
        origin = origin.ToLowerInvariant();
        return true;
    }

    /// <summary>Whether a request's <c>Origin</c> header is one of <paramref name="allowed"/> (canonical forms).</summary>
    public static bool Allows(IEnumerable<string> allowed, string? requestOrigin) =>
        TryNormalize(requestOrigin, out var origin, out _) && allowed.Contains(origin, StringComparer.Ordinal);
}
