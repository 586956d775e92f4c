using System.Reflection;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Architecture;

/// <summary>
/// The lanes (<see cref="Lanes"/>) cannot be forgotten: a unit class that reaches Azurite, Garnet, a process or a
/// browser fails here, as does a kill or browser test outside the slow lane, an outage test outside the fault lane, or
/// a test that names two lanes.
/// </summary>
[Lane(Lanes.Unit)]
public class LaneTests
{
    private static readonly Lazy<TestReach> Reach = new(() => TestReach.Of(typeof(LaneTests).Assembly.Location));

    private static readonly Reaches[] NotInUnit = [Reaches.Azurite, Reaches.Garnet, Reaches.SelfHost, Reaches.Process, Reaches.Browser, Reaches.Kill, Reaches.Outage];

    private static readonly Reaches[] OnlyInSlow = [Reaches.Kill, Reaches.Browser];

    private static IEnumerable<Type> TestClasses() => typeof(LaneTests).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetMethods().Any(IsTest));

    private static bool IsTest(MethodInfo method) => method.GetCustomAttributes<FactAttribute>(inherit: true).Any();

    private static string? LaneOf(MemberInfo member) => member.GetCustomAttribute<LaneAttribute>()?.Lane;

    [Fact]
    public void A_unit_class_reaches_no_azurite_garnet_process_or_browser()
    {
        var wrong = TestClasses().Where(t => LaneOf(t) == Lanes.Unit)
            .Select(t => (t.Name, Reaches: Reach.Value.Of(t).Intersect(NotInUnit).ToList()))
            .Where(c => c.Reaches.Count > 0).ToList();

        Assert.True(wrong.Count == 0, "In the unit lane but reaching infrastructure (leave them in integration): "
            + string.Join("; ", wrong.Select(c => $"{c.Name} ({string.Join(", ", c.Reaches)})")));
    }

    [Fact]
    public void Kill_and_browser_tests_are_in_the_slow_lane()
    {
        var wrong = TestClasses().Where(t => LaneOf(t) != Lanes.Slow && Reach.Value.Of(t).Intersect(OnlyInSlow).Any()).Select(t => t.Name).ToList();

        Assert.True(wrong.Count == 0, "Kill or browser tests outside the slow lane: " + string.Join(", ", wrong));
    }

    [Fact]
    public void Outage_tests_are_in_the_fault_lane()
    {
        var wrong = TestClasses().Where(t => (LaneOf(t) == Lanes.Fault) != Reach.Value.Of(t).Contains(Reaches.Outage)).Select(t => t.Name).ToList();

        Assert.True(wrong.Count == 0, "Outage tests outside the fault lane, or fault-lane tests that cause no outage: " + string.Join(", ", wrong));
    }

    [Fact]
    public void A_test_names_one_known_lane_at_most()
    {
        var known = new[] { Lanes.Unit, Lanes.Integration, Lanes.Slow, Lanes.Fault };
        var members = TestClasses().SelectMany(t => t.GetMethods().Where(IsTest).Cast<MemberInfo>().Prepend(t));
        var unknown = members.Where(m => LaneOf(m) is { } lane && !known.Contains(lane)).Select(m => m.Name);
        var twice = TestClasses().Where(t => LaneOf(t) is not null)
            .SelectMany(t => t.GetMethods().Where(m => IsTest(m) && LaneOf(m) is not null)).Select(m => $"{m.DeclaringType!.Name}.{m.Name} (on its class too)");
        var wrong = unknown.Concat(twice).ToList();

        Assert.True(wrong.Count == 0, "Lanes misnamed: " + string.Join(", ", wrong));
    }

    [Fact]
    public void The_reach_is_read_through_helpers_fixtures_and_lambdas()
    {
        // Guards the tests above: a reach that saw nothing would pass them all.
        Assert.Contains(Reaches.Kill, Reach.Value.Of(typeof(Campaigns.CrashRecoveryTests)));
        Assert.Contains(Reaches.Azurite, Reach.Value.Of(typeof(Campaigns.CampaignTests))); // through its fixture, CampaignApp : HiroiApp
        Assert.Contains(Reaches.Garnet, Reach.Value.Of(typeof(SignIn.ConcurrentTriesTests))); // through SharedLimitsApp
        Assert.Contains(Reaches.Browser, Reach.Value.Of(typeof(Widget.WidgetBrowserTests)));
        Assert.Contains(Reaches.Outage, Reach.Value.Of(typeof(Faults.StorageReadinessTests)));
        Assert.Empty(Reach.Value.Of(typeof(LaneTests)).Intersect(NotInUnit));
        Assert.True(TestClasses().Count(t => LaneOf(t) == Lanes.Unit) > 30, "Too few unit classes were found.");
    }
}
