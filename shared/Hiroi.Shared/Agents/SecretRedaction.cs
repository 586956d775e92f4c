using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hiroi.Shared.Agents;

/// <summary>
/// Blanks a tool call's secrets out of what the tool's server answered, before the model sees it (and through the
/// model the customer, the transcript and SMS). A server may echo a secret as it was sent, in another case, escaped in
/// JSON (a JSON answer's strings are searched decoded, whatever the escaping; other text for the usual escapings),
/// percent-encoded, or in base64 (standard or url-safe, padded or not): at each of base64's three byte offsets, the run
/// of characters only the secret's bytes decide is blanked. Each becomes <c>[secret NAME]</c>.
/// </summary>
public static class SecretRedaction
{
    /// <summary>Base64 runs shorter than this (six bytes of secret) are left alone: too short to tell from other text.</summary>
    private const int MinEncodedLength = 8;

    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed record Form(string Text, StringComparison Comparison, string Marker);

    public static string Redact(string text, IReadOnlyDictionary<string, string> secrets)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(secrets);
        var forms = secrets.Where(s => s.Value.Length > 0)
            .SelectMany(s => FormsOf(s.Value).Select(f => new Form(f.Text, f.Comparison, $"[secret {s.Key}]")))
            .OrderByDescending(f => f.Text.Length).ToList();
        return forms.Count == 0 ? text : Replace(RedactJsonStrings(text, forms), forms);
    }

    private static HashSet<(string Text, StringComparison Comparison)> FormsOf(string secret)
    {
        var forms = new HashSet<(string Text, StringComparison Comparison)>
        {
            (secret, StringComparison.OrdinalIgnoreCase), (Uri.EscapeDataString(secret), StringComparison.OrdinalIgnoreCase),
        };
        foreach (var encoder in new[] { JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
        {
            var escaped = JsonEncodedText.Encode(secret, encoder).ToString();
            forms.Add((escaped, StringComparison.OrdinalIgnoreCase));
            forms.Add((escaped.Replace("/", "\\/", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
        }

        var bytes = Encoding.UTF8.GetBytes(secret);
        for (var offset = 0; offset < 3 && offset < bytes.Length; offset++)
        {
            var whole = bytes.AsSpan(offset, (bytes.Length - offset) / 3 * 3);
            var standard = Convert.ToBase64String(whole);
            if (standard.Length >= MinEncodedLength)
            {
                forms.Add((standard, StringComparison.Ordinal));
                forms.Add((standard.Replace('+', '-').Replace('/', '_'), StringComparison.Ordinal));
            }
        }

        return forms;
    }

    private static string Replace(string text, List<Form> forms)
    {
        foreach (var form in forms)
        {
            text = text.Replace(form.Text, form.Marker, form.Comparison);
        }

        return text;
    }

    /// <summary>A JSON answer with its strings (names too) searched as decoded; rewritten only when one held a secret.</summary>
    private static string RedactJsonStrings(string text, List<Form> forms)
    {
        try
        {
            var original = JsonNode.Parse(text);
            var redacted = Redacted(original, forms);
            return JsonNode.DeepEquals(original, redacted) ? text : redacted?.ToJsonString(Readable) ?? text;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return text; // not JSON (or names that collide once blanked): the text forms still apply
        }
    }

    private static JsonNode? Redacted(JsonNode? node, List<Form> forms) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(Replace(p.Key, forms), Redacted(p.Value, forms)))),
        JsonArray a => new JsonArray([.. a.Select(v => Redacted(v, forms))]),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonValue.Create(Replace(v.GetValue<string>(), forms)),
        _ => node?.DeepClone(),
    };
}
