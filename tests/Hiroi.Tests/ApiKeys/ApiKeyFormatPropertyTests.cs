using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using static Hiroi.Tests.Protection.ParserGenerators;

namespace Hiroi.Tests.ApiKeys;

/// <summary>The API key parser over arbitrary text: never throws, and accepts exactly the one spelling it formats.</summary>
[Lane(Lanes.Unit)]
public class ApiKeyFormatPropertyTests
{
    private static readonly Gen<string> Keys = Gen.Fresh(() => ApiKeyFormat.Format(ApiKeyFormat.NewKey(OrgId.New(), ApiKeyFormat.NewKeyId())));

    public static class Arbitraries
    {
        public static Arbitrary<string> Texts() => Arb(Gen.Frequency(
            (2, TextOver("hiroi_sk_0123456789abcdefABCDEF")),
            (1, AnyText),
            (1, Keys),
            (2, from key in Keys from mutate in Mutation("0123456789abcdefABCDEF_") select mutate(key)),
            (1, Keys.Select(k => k.ToUpperInvariant()))));
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 2000)]
    public bool What_parses_formats_back_to_exactly_the_same_text(string text) =>
        !ApiKeyFormat.TryParse(text, out var parts) || ApiKeyFormat.Format(parts) == text;

    [Property(MaxTest = 500)]
    public Property Any_respelling_or_damage_of_a_key_is_refused() => Prop.ForAll(
        Arb(from key in Keys from mutate in Mutation("0123456789abcdefABCDEF_") select (key, mutate)),
        t => ApiKeyFormat.TryParse(t.key, out _) && (!ApiKeyFormat.TryParse(t.mutate(t.key), out var other) || ApiKeyFormat.Format(other) != t.key));
}
