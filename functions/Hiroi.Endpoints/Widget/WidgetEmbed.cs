using Hiroi.Endpoints.Hosting;
using Hiroi.Endpoints.Http;
using Hiroi.Shared.Telephony;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Widget;

/// <summary>
/// The widget's static files, read once from the assembly. <c>embed.js</c> is versioned by its path (<c>/widget/v1/</c>):
/// a change that breaks embeds goes to v2, so pages pinning its SRI hash keep working.
/// </summary>
public sealed class WidgetEmbed(IOptions<CallOptions> calls)
{
    public static readonly StaticAsset Script = StaticAsset.Load("Widget.embed.js", "text/javascript; charset=utf-8");
    public static readonly StaticAsset DemoPage = StaticAsset.Load("Widget.demo.html", "text/html; charset=utf-8");
    public static readonly StaticAsset DemoScript = StaticAsset.Load("Widget.demo.js", "text/javascript; charset=utf-8");

    /// <summary>The tag a site pastes, pinned to this build of the script by its SRI hash.</summary>
    public string Snippet(string keyId) =>
        $"<script src=\"{calls.Value.PublicBaseUrl.TrimEnd('/')}/widget/v1/embed.js\" integrity=\"{Script.Integrity}\" "
        + $"crossorigin=\"anonymous\" data-hiroi-key=\"{keyId}\"></script>";
}
