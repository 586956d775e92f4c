using System.Text.RegularExpressions;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Architecture;

/// <summary>
/// The suite's own rules, read from its sources: tests wait for conditions, not durations, and make data unique by
/// construction, so no test depends on how fast the machine is or on which numbers a random draw picked.
/// </summary>
[Lane(Lanes.Unit)]
public partial class SuiteRulesTests
{
    private static readonly Lazy<IReadOnlyList<(string File, int Line, string Text)>> Lines = new(() =>
    [
        .. Directory.EnumerateFiles(Path.Combine(TestStorage.RepoRoot(), "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((text, i) => (Path.GetRelativePath(TestStorage.RepoRoot(), f), i + 1, text))),
    ]);

    [Fact]
    public void Every_sleep_in_the_tests_says_on_its_line_why_it_is_not_a_wait_for_something()
    {
        // A poll interval inside a condition wait, or a fault injected at a random moment, may sleep; nothing else may.
        var bare = Lines.Value.Where(l => Sleep().IsMatch(l.Text) && !l.Text.Contains("//", StringComparison.Ordinal)).ToList();

        Assert.True(bare.Count == 0, "Sleeps with no reason on their line (wait with Waits.UntilAsync instead): "
            + string.Join("; ", bare.Select(l => $"{l.File}:{l.Line}")));
    }

    [Fact]
    public void No_test_makes_a_number_from_a_random_draw()
    {
        // A prefix plus Random.Next(1000, 9999) once gave two orgs one number (a number belongs to one org): use
        // Unique.PhoneNumber() or the fixture's prefix.
        var drawn = Lines.Value.Where(l => RandomNumber().IsMatch(l.Text)).ToList();

        Assert.True(drawn.Count == 0, "Numbers drawn at random: " + string.Join("; ", drawn.Select(l => $"{l.File}:{l.Line}")));
    }

    [Fact]
    public void Unique_numbers_never_repeat_and_no_test_writes_one_literally()
    {
        var numbers = Enumerable.Range(0, 20_000).Select(_ => Unique.PhoneNumber()).ToList();

        Assert.Equal(numbers.Count, numbers.Distinct(StringComparer.Ordinal).Count());
        Assert.All(numbers, n => Assert.Matches(@"^\+15558\d{6}$", n));
        var reserved = "\"+1555" + "8"; // written apart, so this line does not find itself
        var literal = Lines.Value.Where(l => l.Text.Contains(reserved, StringComparison.Ordinal) && !l.File.EndsWith("Waits.cs", StringComparison.Ordinal)).ToList();
        Assert.True(literal.Count == 0, "Numbers of Unique's range written literally: " + string.Join("; ", literal.Select(l => $"{l.File}:{l.Line}")));
    }

    [GeneratedRegex(@"\b(Task\.Delay|Thread\.Sleep)\(")]
    private static partial Regex Sleep();

    [GeneratedRegex(@"""\+\d+""\s*\+\s*(Random|RandomNumberGenerator)\b")]
    private static partial Regex RandomNumber();
}
