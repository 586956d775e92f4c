using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Hiroi.Endpoints.Protection;

/// <summary>
/// Reads the request's Content-Type strictly before anything reads the body: a header that does not parse, a charset that is
/// empty, repeated or not a token, a JSON charset other than UTF-8 (RFC 8259) and an unknown charset on any body are 415
/// problem details. What passes is handed on in one canonical spelling (<c>charset="utf-8"</c>, valid per RFC 9110, becomes
/// <c>charset=utf-8</c>), because the framework's JSON reader throws on a quoted charset (a 500).
/// </summary>
public static class RequestCharset
{
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public static IApplicationBuilder UseRequestCharsetCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var declared = context.Request.ContentType;
        if (Problem(declared, out var canonical) is { } detail)
        {
            await Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported charset", detail: detail)
                .ExecuteAsync(context);
            return;
        }

        if (!string.Equals(declared, canonical, StringComparison.Ordinal))
        {
            context.Request.ContentType = canonical;
        }

        await next(context);
    });

    /// <summary>Why a body of this content type cannot be read, or null when it can (or declares no charset).</summary>
    public static string? Problem(string? contentType) => Problem(contentType, out _);

    /// <summary>
    /// Why a body of this content type cannot be read, or null when it can; then <paramref name="canonical"/> is the
    /// Content-Type to read it by (the same text unless its charset was quoted or spelled otherwise). Never throws.
    /// </summary>
    public static string? Problem(string? contentType, out string? canonical)
    {
        canonical = contentType;
        if (string.IsNullOrEmpty(contentType))
        {
            return null;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Length == 0)
        {
            return "The Content-Type header is malformed.";
        }

        var charsets = media.Parameters.Where(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)).ToList();
        if (charsets.Count == 0)
        {
            return null;
        }

        var charset = charsets.Count == 1 ? Unquoted(charsets[0].Value) : null;
        if (charset is null)
        {
            return "The charset parameter must appear once, with a name (e.g. charset=utf-8).";
        }

        var isJson = media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
        if (isJson ? !IsUtf8(charset) : !IsKnown(charset))
        {
            return isJson ? "JSON bodies must be UTF-8." : "The charset is not supported.";
        }

        var spelled = isJson ? "utf-8" : charset;
        if (!StringSegment.Equals(charsets[0].Value, spelled, StringComparison.Ordinal))
        {
            media.Charset = spelled;
            canonical = media.ToString();
        }

        return null;
    }

    /// <summary>The charset's name without quotes, or null when it is empty or not a token (RFC 9110: charset = token).</summary>
    private static string? Unquoted(StringSegment value)
    {
        var text = value.Length >= 2 && value[0] == '"' && value[value.Length - 1] == '"' ? value.Subsegment(1, value.Length - 2) : value;
        return text.Length > 0 && !text.AsSpan().ContainsAnyExcept(TokenChars) ? text.Value : null;
    }

    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);

    private static bool IsKnown(string charset)
    {
        try
        {
            Encoding.GetEncoding(charset);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
