using Hiroi.Shared.Configuration;
using Hiroi.Shared.Secrets;

namespace Hiroi.Shared.Security;

/// <summary>
/// A secret key with the id that names it in what it protects (a wrapped data key, a token), so keys can be rotated.
/// <see cref="ToString"/> shows the id only.
/// </summary>
public sealed class NamedKey
{
    internal NamedKey(string id, byte[] material) => (Id, Material) = (id, material);

    /// <summary>The key id: 1 to 32 characters of <c>A-Z a-z 0-9 _ -</c>.</summary>
    public string Id { get; }

    /// <summary>The key bytes. Never log them.</summary>
    public ReadOnlyMemory<byte> Material { get; }

    public override string ToString() => "key " + Id;
}

/// <summary>
/// A rotating set of keys read from one secret formatted <c>kid1:base64key1,kid2:base64key2</c>: the first key is
/// current (used to protect new data), every listed key is accepted when reading. To rotate, put the new key first and
/// keep the old one listed until nothing protected by it is in use; then remove it.
/// </summary>
public sealed class KeyRing
{
    private const int MaxKeyIdLength = 32;

    private readonly Dictionary<string, NamedKey> _byId;

    private KeyRing(List<NamedKey> keys)
    {
        Keys = keys;
        _byId = keys.ToDictionary(k => k.Id, StringComparer.Ordinal);
    }

    /// <summary>All keys, current first.</summary>
    public IReadOnlyList<NamedKey> Keys { get; }

    /// <summary>The key that protects new data.</summary>
    public NamedKey Current => Keys[0];

    /// <summary>The key with this id, or null when it is not (or no longer) listed.</summary>
    public NamedKey? Find(string? id) => id is not null && _byId.TryGetValue(id, out var key) ? key : null;

    /// <summary>Whether <paramref name="id"/> is a well-formed key id: 1 to 32 characters of <c>A-Z a-z 0-9 _ -</c>.</summary>
    public static bool IsKeyId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxKeyIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Parses the secret <paramref name="secretName"/>'s value. Throws <see cref="SettingException"/> naming the setting,
    /// the entry and the problem (never the key) when it is empty, malformed, has a duplicate id or a key of the wrong size.
    /// </summary>
    public static KeyRing Parse(string secretName, string? value, int minKeyBytes, int maxKeyBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretName);
        var setting = "Hiroi:" + secretName;
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new SettingException(setting, "is not set in the secret store");
        }

        var keys = new List<NamedKey>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var entries = value.Split(',', StringSplitOptions.TrimEntries);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            var where = $"entry {i + 1}";
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new SettingException(setting, $"{where} must be kid:base64key (entries are separated by commas, the first is current)");
            }

            var id = entry[..colon].Trim();
            if (!IsKeyId(id))
            {
                throw new SettingException(setting, $"{where} has a bad key id: it must be 1 to {MaxKeyIdLength} characters of A-Z a-z 0-9 _ -");
            }

            if (!ids.Add(id))
            {
                throw new SettingException(setting, $"lists key id {id} twice");
            }

            byte[] material;
            try
            {
                material = Convert.FromBase64String(entry[(colon + 1)..].Trim());
            }
            catch (FormatException)
            {
                throw new SettingException(setting, $"key {id} is not valid base64");
            }

            if (material.Length < minKeyBytes || material.Length > maxKeyBytes)
            {
                var size = minKeyBytes == maxKeyBytes ? $"{minKeyBytes} bytes" : $"{minKeyBytes} to {maxKeyBytes} bytes";
                throw new SettingException(setting, $"key {id} is {material.Length} bytes; it must be {size}");
            }

            keys.Add(new NamedKey(id, material));
        }

        return new KeyRing(keys);
    }
}

/// <summary>Reads a <see cref="KeyRing"/> from the secret store, parsing again only when the secret's value changes.</summary>
internal sealed class KeyRingSource(ISecretStore secrets, string secretName, int minKeyBytes, int maxKeyBytes)
{
    private volatile ParsedRing? _last;

    public async Task<KeyRing> GetAsync(CancellationToken cancellationToken)
    {
        var value = await secrets.GetAsync(secretName, cancellationToken).ConfigureAwait(false);
        var last = _last;
        if (last is not null && string.Equals(last.Value, value, StringComparison.Ordinal))
        {
            return last.Ring;
        }

        var ring = KeyRing.Parse(secretName, value, minKeyBytes, maxKeyBytes);
        _last = new ParsedRing(value!, ring);
        return ring;
    }

    // A class, not a record: a record's ToString would print the secret.
    private sealed class ParsedRing(string value, KeyRing ring)
    {
        public string Value { get; } = value;
        public KeyRing Ring { get; } = ring;
    }
}
