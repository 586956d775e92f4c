using DurableTask.AzureStorage;

namespace Hiroi.Server.Workflows;

/// <summary>
/// Names the types of queued engine messages with their assembly. DurableTask.AzureStorage writes a bare type name
/// by default and finds only its own and the core's types by it; the gRPC sidecar hands it sub-orchestration tags as
/// Google.Protobuf's MapField, which a bare name cannot load again, so such a message failed on every delivery.
/// </summary>
public sealed class AssemblyQualifiedTypeBinder : ICustomTypeBinder
{
    public void BindToName(Type serializedType, out string assemblyName, out string typeName)
    {
        ArgumentNullException.ThrowIfNull(serializedType);
        assemblyName = null!;
        // DurableTask's own types stay bare: the engine resolves those itself, by their namespace.
        typeName = serializedType.FullName!.StartsWith("DurableTask.", StringComparison.Ordinal) ? serializedType.FullName : serializedType.AssemblyQualifiedName!;
    }

    public Type BindToType(string assemblyName, string typeName) =>
        Type.GetType(string.IsNullOrEmpty(assemblyName) ? typeName : typeName + ", " + assemblyName, throwOnError: true)!;
}
