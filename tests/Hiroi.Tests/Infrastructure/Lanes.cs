using Xunit.Abstractions;
using Xunit.Sdk;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The suite's lanes by speed and infrastructure, each a filter on the <c>Lane</c> trait (README, "Tests"):
/// <see cref="Unit"/> touches no Azurite, Garnet, browser or process of ours and runs in seconds (<c>./test --fast</c>);
/// <see cref="Slow"/> holds the kill tests, the big imports and guesses, the fuzzing, the browsers and the load smokes;
/// <see cref="Fault"/> freezes, stops and restarts dependencies of its own under load (short forms of <c>scripts/chaos.sh</c>);
/// everything else is <see cref="Integration"/>, the default: a class that names no lane runs there, which is never
/// wrong, only slower. <c>LaneTests</c> fails when a unit class reaches infrastructure or a kill or browser test is not
/// slow, and <c>./test --fast</c> starts no Azurite or Garnet, so a unit test that needs them fails there too.
/// </summary>
public static class Lanes
{
    public const string Trait = "Lane";
    public const string Unit = "unit";
    public const string Integration = "integration";
    public const string Slow = "slow";

    /// <summary>Outages of storage, Redis and ACS, each test against a dependency process of its own (<see cref="FaultyDependency"/>).</summary>
    public const string Fault = "fault";

    /// <summary>Set by <c>./test --fast</c>, which starts no Azurite or Garnet for the unit lane.</summary>
    public const string Variable = "HIROI_TEST_LANE";

    /// <summary>Refuses infrastructure to a run of the unit lane, naming what was asked for and where the test belongs.</summary>
    public static void Refuse(string what)
    {
        if (Environment.GetEnvironmentVariable(Variable) == Unit)
        {
            throw new InvalidOperationException(
                $"A test of the unit lane asked for {what}: the unit lane runs without it. Leave the test's class without [Lane(Lanes.Unit)] (integration).");
        }
    }
}

/// <summary>Puts a test class (or one test) in a lane: <c>[Lane(Lanes.Unit)]</c>, <c>[Lane(Lanes.Slow)]</c>; see <see cref="Lanes"/>.</summary>
[TraitDiscoverer("Hiroi.Tests.Infrastructure.LaneDiscoverer", "Hiroi.Tests")]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class LaneAttribute(string lane) : Attribute, ITraitAttribute
{
    public string Lane { get; } = lane;
}

/// <summary>Turns <see cref="LaneAttribute"/> into the <c>Lane</c> trait the filters read.</summary>
public sealed class LaneDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute)
    {
        ArgumentNullException.ThrowIfNull(traitAttribute);
        yield return new(Lanes.Trait, (string)traitAttribute.GetConstructorArguments().Single());
    }
}
