using FsCheck;
using FsCheck.Fluent;
using Hiroi.Shared.Security;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Security;

/// <summary>PCI: card numbers, however written or spoken, never get past the masking.</summary>
[Lane(Lanes.Unit)]
public class CardNumbersTests
{
    [Theory]
    [InlineData("my card is 4111111111111111 thanks")]
    [InlineData("my card is 4111 1111 1111 1111 thanks")]
    [InlineData("4111-1111-1111-1111")]
    [InlineData("it's 5555 5555 5555 4444, expiry 12/29")]
    [InlineData("amex 3782 822463 10005")]
    [InlineData("four one one one one one one one one one one one one one one one")]
    [InlineData("Four One One One, 1111, 1111, one one one one")]
    [InlineData("six oh one one 1111 1111 1117")]
    [InlineData("13 digits: 4222222222222.")]
    [InlineData("keyed: 6011111111111117#")]
    public void A_luhn_valid_card_number_in_any_form_is_masked(string text)
    {
        var masked = CardNumbers.Mask(text);

        Assert.Contains(CardNumbers.Placeholder, masked, StringComparison.Ordinal);
        Assert.DoesNotContain("1111", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("4444", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("10005", masked, StringComparison.Ordinal);
        Assert.True(CardNumbers.Contains(text));
    }

    [Theory]
    [InlineData("call me at +1 555 555 0100")]
    [InlineData("order 4111111111111112 is late")]
    [InlineData("my pin is 1234 and the code 987654")]
    [InlineData("one two three")]
    [InlineData("someone ate nine apples")]
    [InlineData("")]
    public void Text_without_a_card_number_is_left_as_it_is(string text)
    {
        Assert.Same(text, CardNumbers.Mask(text));
        Assert.False(CardNumbers.Contains(text));
    }

    [Fact]
    public void Masking_never_throws_and_leaves_no_card_number_behind() =>
        Prop.ForAll<string>(text =>
        {
            var masked = CardNumbers.Mask(text ?? string.Empty);
            return !CardNumbers.Contains(masked);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_generated_card_number_with_any_separators_inside_any_text_is_masked() =>
        Prop.ForAll(CardGen(), ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? string.Empty).ToArbitrary(), (card, around) =>
        {
            var text = Letters(around) + " " + card.Written + " " + Letters(around);
            var masked = CardNumbers.Mask(text);
            return !masked.Replace(" ", string.Empty, StringComparison.Ordinal).Contains(card.Digits, StringComparison.Ordinal)
                && masked.Contains(CardNumbers.Placeholder, StringComparison.Ordinal);
        }).QuickCheckThrowOnFailure();

    public sealed record Card(string Digits, string Written);

    /// <summary>A Luhn-valid number of 13 to 19 digits, each digit followed by nothing, a space, a dash or a dot.</summary>
    private static Arbitrary<Card> CardGen() =>
        (from length in Gen.Choose(13, 19)
         from body in Gen.ArrayOf(Gen.Choose(0, 9), length - 1)
         from separators in Gen.ArrayOf(Gen.Elements("", " ", "-", "."), length)
         select Written(body, separators)).ToArbitrary();

    private static Card Written(int[] body, string[] separators)
    {
        var digits = body.Append(CheckDigit(body)).ToArray();
        var written = string.Concat(digits.Select((d, i) =>
            d.ToString(System.Globalization.CultureInfo.InvariantCulture) + (i < digits.Length - 1 ? separators[i] : string.Empty)));
        return new Card(string.Concat(digits), written);
    }

    private static int CheckDigit(int[] body)
    {
        var sum = 0;
        for (var i = 0; i < body.Length; i++)
        {
            var d = body[body.Length - 1 - i];
            if (i % 2 == 0)
            {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }

            sum += d;
        }

        return (10 - sum % 10) % 10;
    }

    /// <summary>Surrounding text without digits or digit words, so it cannot extend the number's run.</summary>
    private static string Letters(string text) =>
        new(text.Where(c => char.IsLetter(c) is false && !char.IsDigit(c) && c is not (' ' or '-' or '.' or ',' or '\t' or '\u00a0')).Append('x').ToArray());
}
