using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Hiroi.Endpoints.Http;

/// <summary>A file the app serves from memory (the widget's, the console's pages), with its strong ETag and SRI hash.</summary>
public sealed record StaticAsset(byte[] Content, string ContentType, string ETag, string Integrity)
{
    /// <summary>Reads an embedded resource of this assembly once; a missing one fails start-up, not a request.</summary>
    public static StaticAsset Load(string resourceName, string contentType)
    {
        using var stream = typeof(StaticAsset).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The asset {resourceName} is not embedded.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var content = buffer.ToArray();
        var sha384 = SHA384.HashData(content);
        return new StaticAsset(content, contentType, "\"" + Convert.ToHexStringLower(sha384.AsSpan(0, 16)) + "\"", "sha384-" + Convert.ToBase64String(sha384));
    }

    /// <summary>The file, or 304 when the browser holds this version; cached publicly for <paramref name="cacheSeconds"/> (0: revalidate).</summary>
    public IResult Serve(HttpContext context, int cacheSeconds)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.ETag = ETag;
        context.Response.Headers.CacheControl = cacheSeconds > 0 ? $"public, max-age={cacheSeconds}" : "no-cache";
        return context.Request.Headers.IfNoneMatch == ETag ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(Content, ContentType);
    }
}
