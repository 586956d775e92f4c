using Mono.Cecil;

namespace Hiroi.Tests.Architecture;

/// <summary>What a test class can reach that decides its lane: Azurite, Garnet, a process, a kill, a browser.</summary>
public enum Reaches
{
    Azurite,
    Garnet,
    SelfHost,
    Kill,
    Browser,
    Process,
    Outage,
}

/// <summary>
/// The infrastructure each test class reaches, read from the compiled test assembly: its methods, its lambdas and state
/// machines (nested types), the fixtures it declares, and every method of the test assembly they call, transitively (a
/// helper that starts Azurite counts as much as a direct use).
/// </summary>
public sealed class TestReach
{
    private readonly ModuleDefinition _module;
    private readonly Dictionary<MethodDefinition, (HashSet<Reaches> Reaches, List<MethodDefinition> Calls)> _direct = [];

    private TestReach(ModuleDefinition module) => _module = module;

    public static TestReach Of(string assemblyPath)
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(assemblyPath));
        return new(ModuleDefinition.ReadModule(assemblyPath, new ReaderParameters { AssemblyResolver = resolver }));
    }

    /// <summary>What <paramref name="testClass"/> reaches.</summary>
    public IReadOnlySet<Reaches> Of(Type testClass)
    {
        ArgumentNullException.ThrowIfNull(testClass);
        var type = _module.GetType(testClass.FullName!.Replace('+', '/'))
            ?? throw new InvalidOperationException($"{testClass.FullName} is not in {_module.Name}.");
        var start = new List<MethodDefinition>();
        AddType(type, start);
        foreach (var fixture in Fixtures(type))
        {
            AddType(fixture, start, nested: false);
        }

        var reached = new HashSet<Reaches>();
        var seen = new HashSet<MethodDefinition>();
        var work = new Stack<MethodDefinition>(start);
        while (work.TryPop(out var method))
        {
            if (!seen.Add(method))
            {
                continue;
            }

            var (reaches, calls) = Direct(method);
            // Disposing a self-host stops it; only a test that kills one itself is a kill test.
            // Disposing a fault test's own dependency stops it; only a test that stops or freezes one itself causes an outage.
            reached.UnionWith(method.DeclaringType.FullName switch
            {
                "Hiroi.Tests.Infrastructure.SelfHostProcess" => reaches.Where(r => r != Reaches.Kill),
                "Hiroi.Tests.Infrastructure.FaultyDependency" => reaches.Where(r => r != Reaches.Outage),
                _ => reaches,
            });
            foreach (var call in calls)
            {
                work.Push(call);
            }
        }

        return reached;
    }

    private void AddType(TypeDefinition type, List<MethodDefinition> methods, bool nested = true)
    {
        methods.AddRange(type.Methods);
        if (nested)
        {
            foreach (var inner in type.NestedTypes)
            {
                AddType(inner, methods);
            }
        }

        if (Ours(type.BaseType) is { } baseType)
        {
            AddType(baseType, methods, nested);
        }
    }

    /// <summary>The test assembly's types named by <c>IClassFixture&lt;T&gt;</c>/<c>ICollectionFixture&lt;T&gt;</c> (their setup runs for the class).</summary>
    private IEnumerable<TypeDefinition> Fixtures(TypeDefinition type) =>
        type.Interfaces.Select(i => i.InterfaceType).OfType<GenericInstanceType>()
            .Where(i => i.ElementType.Name is "IClassFixture`1" or "ICollectionFixture`1")
            .Select(i => Ours(i.GenericArguments[0]))
            .Where(t => t is not null)!;

    /// <summary>The definition of a type of the test assembly; null for anyone else's (never resolved, so never loaded).</summary>
    private TypeDefinition? Ours(TypeReference? type) => type?.GetElementType().Scope == _module ? type.Resolve() : null;

    /// <summary>What a method reaches itself, and the methods of the test assembly it calls (or takes as a delegate).</summary>
    private (HashSet<Reaches> Reaches, List<MethodDefinition> Calls) Direct(MethodDefinition method)
    {
        if (_direct.TryGetValue(method, out var known))
        {
            return known;
        }

        (HashSet<Reaches> Reaches, List<MethodDefinition> Calls) found = ([], []);
        _direct[method] = found;
        if (!method.HasBody)
        {
            return found;
        }

        foreach (var instruction in method.Body.Instructions)
        {
            if (instruction.Operand is not MemberReference member)
            {
                continue;
            }

            if (Infrastructure(member) is { } reach)
            {
                found.Reaches.Add(reach);
            }

            if (member is MethodReference reference && Ours(reference.DeclaringType) is not null
                && (reference is GenericInstanceMethod generic ? generic.ElementMethod : reference).Resolve() is { } target)
            {
                found.Calls.Add(target);
            }
        }

        return found;
    }

    private static Reaches? Infrastructure(MemberReference member)
    {
        var declaring = member.DeclaringType?.GetElementType().FullName ?? (member as TypeReference)?.FullName ?? string.Empty;
        if (declaring.StartsWith("Microsoft.Playwright.", StringComparison.Ordinal) || (member as TypeReference)?.Namespace == "Microsoft.Playwright")
        {
            return Reaches.Browser;
        }

        return (declaring, member.Name) switch
        {
            ("Hiroi.Tests.Infrastructure.TestStorage", "get_ConnectionString") => Reaches.Azurite,
            ("Hiroi.Tests.Infrastructure.TestRedis", "get_Connection") => Reaches.Garnet,
            ("Hiroi.Tests.Infrastructure.SelfHostProcess", ".ctor") => Reaches.SelfHost,
            ("Hiroi.Tests.Infrastructure.SelfHostProcess", "Kill") => Reaches.Kill,
            ("Hiroi.Tests.Infrastructure.FaultyDependency", "Freeze" or "Stop") => Reaches.Outage,
            ("System.Diagnostics.Process", "Start") => Reaches.Process,
            _ => null,
        };
    }
}
