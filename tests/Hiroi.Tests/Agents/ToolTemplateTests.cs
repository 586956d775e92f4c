using Hiroi.Shared.Agents;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Agents;

[Lane(Lanes.Unit)]
public class ToolTemplateTests
{
    [Fact]
    public void Placeholders_are_found_and_rendered_in_place()
    {
        Assert.True(ToolTemplate.TryParse("Bearer {{ secrets.SHOP_TOKEN }} for {{args.id}}!", out var template, out _));

        Assert.Equal([(PlaceholderSource.Secret, "SHOP_TOKEN"), (PlaceholderSource.Argument, "id")], template.Placeholders.Select(p => (p.Source, p.Name)));
        Assert.Equal("Bearer S for 7!", template.Render(p => p.Source == PlaceholderSource.Secret ? "S" : "7"));
        Assert.True(template.UsesSecrets);
        Assert.Null(template.Whole);
    }

    [Theory]
    [InlineData("{{secrets}}")]
    [InlineData("{{secrets.}}")]
    [InlineData("{{secrets.A.B}}")]
    [InlineData("{{secrets.org_1/NAME}}")]
    [InlineData("{{config.X}}")]
    [InlineData("{{args.x-y}}")]
    [InlineData("{{args.x}")]
    [InlineData("{{secrets.ÄÖ}}")]
    public void Anything_but_secrets_and_args_by_name_is_refused(string text) =>
        Assert.False(ToolTemplate.TryParse(text, out _, out _));
}
