using System.Security.Cryptography;
using Hiroi.Shared.Telephony;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Widget;

/// <summary>A file the widget serves, with its strong ETag and SRI hash.</summary>
public sealed record WidgetAsset(byte[] Content, string ContentType, string ETag, string Integrity);

/// <summary>
/// The widget's static files, read once from the assembly. <c>embed.js</c> is versioned by its path (<c>/widget/v1/</c>):
/// a change that breaks embeds goes to v2, so pages pinning its SRI hash keep working.
/// </summary>
public sealed class WidgetEmbed(IOptions<CallOptions> calls)
{
    public static readonly WidgetAsset Script = Load("embed.js", "text/javascript; charset=utf-8");
    public static readonly WidgetAsset DemoPage = Load("demo.html", "text/html; charset=utf-8");
    public static readonly WidgetAsset DemoScript = Load("demo.js", "text/javascript; charset=utf-8");

    /// <summary>The tag a site pastes, pinned to this build of the script by its SRI hash.</summary>
    public string Snippet(string keyId) =>
        $"<script src=\"{calls.Value.PublicBaseUrl.TrimEnd('/')}/widget/v1/embed.js\" integrity=\"{Script.Integrity}\" crossorigin=\"anonymous\" data-hiroi-key=\"{keyId}\"></script>";

    private static WidgetAsset Load(string name, string contentType)
    {
        using var stream = typeof(WidgetEmbed).Assembly.GetManifestResourceStream("Widget." + name)
            ?? throw new InvalidOperationException($"The widget asset {name} is not embedded.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var content = buffer.ToArray();
        var sha384 = SHA384.HashData(content);
        return new WidgetAsset(content, contentType, "\"" + Convert.ToHexStringLower(sha384.AsSpan(0, 16)) + "\"", "sha384-" + Convert.ToBase64String(sha384));
    }
}
