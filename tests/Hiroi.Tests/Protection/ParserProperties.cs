using System.Buffers.Text;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Hiroi.Tests.Protection;

/// <summary>
/// Generators for the parser properties: text drawn mostly from an alphabet a parser accepts, salted with what it must
/// refuse (padding, whitespace, separators, percent and quote characters, control and non-ASCII characters, lone
/// surrogates), so a run explores near-misses rather than noise; plus FsCheck's own strings and bytes.
/// </summary>
public static class ParserGenerators
{
    public const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>Characters no canonical value of ours contains, but a respelling or an attack might.</summary>
    public static readonly char[] Nasty =
    [
        '.', '=', ' ', '\t', '\r', '\n', '?', '#', '+', '/', '%', '"', '\\', ';', ',', '\0', '\u007f', 'é', '\u00a0', '\u2028', '\u3000',
        '\ud800', '\udc00', '\ufeff', '\uffff', 'Ａ', '٣',
    ];

    public static Gen<string> TextOver(string alphabet, int nastyWeight = 1) =>
        Gen.ArrayOf(Gen.Frequency((12, Gen.Elements(alphabet.ToCharArray())), (nastyWeight, Gen.Elements(Nasty)))).Select(c => new string(c));

    public static Gen<string> AnyText => ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? string.Empty);

    public static Gen<byte[]> AnyBytes => ArbMap.Default.ArbFor<byte[]>().Generator.Select(b => b ?? []);

    /// <summary>A way to respell or damage a valid value: each result differs from the input.</summary>
    public static Gen<Func<string, string>> Mutation(string insertable) => Gen.OneOf(
        Gen.Elements<Func<string, string>>(s => s + "=", s => s + "==", s => " " + s, s => s + " ", s => s + "\r\n", s => "\t" + s, s => s + "\0"),
        Gen.Zip(Gen.Choose(0, 1000), Gen.Elements((insertable + new string(Nasty)).ToCharArray()))
            .Select<(int, char), Func<string, string>>(t => s => s.Insert(t.Item1 % (s.Length + 1), t.Item2.ToString())),
        Gen.Choose(0, 1000).Select<int, Func<string, string>>(i => s => s.Length == 0 ? "x" : s.Remove(i % s.Length, 1)));

    /// <summary>The base64url text of bytes, then damaged where it can be without changing its bytes: a spare bit set.</summary>
    public static string WithSpareBitSet(string canonical)
    {
        var spare = (canonical.Length % 4) switch { 2 => 15, 3 => 3, _ => 0 };
        if (spare == 0)
        {
            return canonical + "A"; // no spare bits: a length no bytes have instead
        }

        var last = Base64UrlAlphabet.IndexOf(canonical[^1], StringComparison.Ordinal);
        return canonical[..^1] + Base64UrlAlphabet[(last & ~spare) | 1];
    }

    public static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    public static Arbitrary<T> Arb<T>(Gen<T> gen) => gen.ToArbitrary();
}
