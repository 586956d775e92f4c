using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Hiroi.Endpoints.Protection;

/// <summary>
/// Refuses a body whose declared charset we cannot honour, with 415 problem details before anything reads it: JSON must
/// be UTF-8 (RFC 8259), and an unknown charset on any body is refused (the JSON reader throws on one, which was a 500).
/// </summary>
public static class RequestCharset
{
    public static IApplicationBuilder UseRequestCharsetCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Problem(context.Request.ContentType) is { } detail)
        {
            await Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported charset", detail: detail)
                .ExecuteAsync(context);
            return;
        }

        await next(context);
    });

    /// <summary>Why a body of this content type cannot be read, or null when it can (or declares no charset).</summary>
    public static string? Problem(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return null;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return "The Content-Type header is malformed.";
        }

        var charset = media.Charset.Value?.Trim('"');
        if (string.IsNullOrEmpty(charset))
        {
            return null;
        }

        var isJson = media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
        if (isJson)
        {
            return IsUtf8(charset) ? null : "JSON bodies must be UTF-8.";
        }

        return IsKnown(charset) ? null : $"The charset is not supported.";
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
