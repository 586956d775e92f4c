using System.Reflection;
using Hiroi.Shared.Events;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Architecture;

/// <summary>
/// The shape the design fixes, checked on the compiled code: namespaces form a one-way graph inside each project, the
/// shared core knows no host, and the endpoints project is HTTP only.
/// </summary>
[Lane(Lanes.Unit)]
public class ArchitectureTests
{
    private static readonly Assembly Shared = typeof(InboundEvent).Assembly;
    private static readonly Assembly Durable = typeof(Hiroi.Durable.StepOutcome).Assembly;
    private static readonly Assembly Endpoints = typeof(Hiroi.Endpoints.Hosting.HiroiHostingExtensions).Assembly;

    public static TheoryData<string> Projects => new() { "Hiroi.Shared", "Hiroi.Durable", "Hiroi.Endpoints", "Hiroi.Server", "Hiroi.Functions" };

    [Theory]
    [MemberData(nameof(Projects))]
    public void A_project_s_namespaces_form_a_one_way_graph(string project)
    {
        // The root namespace of a project is its composition root (it may know every feature), so it takes part in no cycle
        // only if no feature uses it: it is included.
        var graph = NamespaceGraph.Of([PathOf(project)], project);

        var cycles = graph.Cycles();

        Assert.True(cycles.Count == 0, "Namespaces that reach each other: " + string.Join("; ", cycles.Select(c =>
            string.Join(", ", c.Select(from => $"{from} -> [{string.Join(" ", graph.Uses(from).Where(c.Contains))}]")))));
    }

    [Fact]
    public void The_namespace_graph_sees_dependencies_inside_method_bodies()
    {
        // Guards the test above: a graph that saw nothing would find no cycle either.
        var graph = NamespaceGraph.Of([PathOf("Hiroi.Shared")], "Hiroi.Shared");

        Assert.Contains("Hiroi.Shared.Events", graph.Uses("Hiroi.Shared.Telephony.Inbound"));
        Assert.Contains("Hiroi.Shared.Storage", graph.Uses("Hiroi.Shared.Tenancy"));
        Assert.True(graph.Namespaces.Count > 15, $"Only {graph.Namespaces.Count} namespaces were read.");
    }

    [Fact]
    public void The_shared_core_and_the_workflows_reference_no_host()
    {
        foreach (var assembly in new[] { Shared, Durable })
        {
            var hosts = assembly.GetReferencedAssemblies().Select(a => a.Name!)
                .Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("Microsoft.Azure.Functions", StringComparison.Ordinal)
                    || n.StartsWith("Hiroi.Endpoints", StringComparison.Ordinal) || n.StartsWith("Hiroi.Server", StringComparison.Ordinal))
                .ToList();
            Assert.True(hosts.Count == 0, $"{assembly.GetName().Name} references {string.Join(", ", hosts)}");
        }
    }

    [Fact]
    public void Event_consumers_live_with_their_domain_not_in_the_endpoints()
    {
        var consumers = Endpoints.GetTypes().Where(t => typeof(IAcsEventConsumer).IsAssignableFrom(t)).Select(t => t.FullName).ToList();

        Assert.Empty(consumers);
        Assert.Contains(Shared.GetTypes(), t => typeof(IAcsEventConsumer).IsAssignableFrom(t) && !t.IsInterface);
    }

    private static string PathOf(string project) => Path.Combine(AppContext.BaseDirectory, project + ".dll");
}
