using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Hiroi.Tests.Architecture;

/// <summary>
/// Which of our namespaces each of our namespaces uses, read from the compiled assemblies (signatures, attributes and
/// method bodies), so a dependency hidden in a lambda or a fully qualified name counts as much as a using directive.
/// </summary>
public sealed class NamespaceGraph
{
    private readonly Dictionary<string, HashSet<string>> _edges = new(StringComparer.Ordinal);

    private NamespaceGraph()
    {
    }

    public IReadOnlyCollection<string> Namespaces => _edges.Keys;

    public IReadOnlySet<string> Uses(string ns) => _edges.TryGetValue(ns, out var set) ? set : new HashSet<string>();

    public static NamespaceGraph Of(IEnumerable<string> assemblyPaths, string rootPrefix)
    {
        var graph = new NamespaceGraph();
        foreach (var path in assemblyPaths)
        {
            using var module = ModuleDefinition.ReadModule(path);
            foreach (var type in module.GetTypes())
            {
                var from = NamespaceOf(type);
                if (!from.StartsWith(rootPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var uses = graph.Node(from);
                foreach (var used in ReferencedTypes(type))
                {
                    var to = NamespaceOf(used);
                    if (to != from && to.StartsWith(rootPrefix, StringComparison.Ordinal))
                    {
                        uses.Add(to);
                    }
                }
            }
        }

        return graph;
    }

    /// <summary>Each group of namespaces that reach each other (Tarjan's strongly connected components of two or more).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<IReadOnlyList<string>>();
        var next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Uses(v))
            {
                if (!index.TryGetValue(w, out var seen))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], seen);
                }
            }

            if (low[v] == index[v])
            {
                var component = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);
                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    cycles.Add(component);
                }
            }
        }

        foreach (var v in _edges.Keys.Order(StringComparer.Ordinal).ToList())
        {
            if (!index.ContainsKey(v))
            {
                Visit(v);
            }
        }

        return cycles;
    }

    private HashSet<string> Node(string ns)
    {
        if (!_edges.TryGetValue(ns, out var set))
        {
            _edges[ns] = set = new HashSet<string>(StringComparer.Ordinal);
        }

        return set;
    }

    /// <summary>A nested type (closures, state machines, records' helpers) belongs to its outermost type's namespace.</summary>
    private static string NamespaceOf(TypeReference type)
    {
        while (type is TypeSpecification spec)
        {
            type = spec.ElementType;
        }

        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type.Namespace;
    }

    private static List<TypeReference> ReferencedTypes(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? t)
        {
            if (t is null)
            {
                return;
            }

            found.Add(t);
            if (t is GenericInstanceType generic)
            {
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument);
                }
            }
        }

        void Attributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments)
                {
                    Add(argument.Value as TypeReference);
                }
            }
        }

        Add(type.BaseType);
        Attributes(type);
        foreach (var implemented in type.Interfaces)
        {
            Add(implemented.InterfaceType);
        }

        foreach (var field in type.Fields)
        {
            Add(field.FieldType);
            Attributes(field);
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType);
            Attributes(property);
        }

        foreach (var method in type.Methods)
        {
            Add(method.ReturnType);
            Attributes(method);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType);
                Attributes(parameter);
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (var variable in method.Body.Variables)
            {
                Add(variable.VariableType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        Add(t);
                        break;
                    case MethodReference m:
                        Add(m.DeclaringType);
                        Add(m.ReturnType);
                        foreach (var p in m.Parameters)
                        {
                            Add(p.ParameterType);
                        }

                        if (m is GenericInstanceMethod gm)
                        {
                            foreach (var argument in gm.GenericArguments)
                            {
                                Add(argument);
                            }
                        }

                        break;
                    case FieldReference f:
                        Add(f.DeclaringType);
                        Add(f.FieldType);
                        break;
                }
            }
        }

        return found;
    }
}
