namespace Hiroi.Tests.Infrastructure;

/// <summary>An Azurite of one fault test's own, on free ports, with its data in a temporary folder (deleted with it).</summary>
public sealed class OwnAzurite : AzuriteProcess
{
    private readonly string _location;

    public OwnAzurite()
        : this(Directory.CreateTempSubdirectory("hiroi-azurite-").FullName)
    {
    }

    private OwnAzurite(string location)
        : base(TestStorage.RepoRoot(), location, TestStorage.FreePort(), TestStorage.FreePort(), TestStorage.FreePort())
    {
        Lanes.Refuse("Azurite");
        _location = location;
    }

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(_location, recursive: true);
    }
}

/// <summary>A Garnet of one fault test's own, on a free port: the server <c>./test</c> runs (<c>HIROI_GARNET_DLL</c>).</summary>
public sealed class OwnGarnet : GarnetProcess
{
    public OwnGarnet()
        : base(GarnetDll(), TestStorage.FreePort())
    {
    }

    private static string GarnetDll()
    {
        Lanes.Refuse("Garnet");
        return Environment.GetEnvironmentVariable("HIROI_GARNET_DLL") is { Length: > 0 } dll
            ? dll
            : throw new InvalidOperationException("HIROI_GARNET_DLL is not set: run the tests through ./test, which finds Garnet.");
    }
}
