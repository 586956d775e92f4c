using Hiroi.Endpoints.Hosting;
using Hiroi.Functions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

namespace Hiroi.Functions;

/// <summary>The worker's entry point (a named class, so it does not clash with the self-host's Program in the tests).</summary>
public static class FunctionsProgram
{
    public static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddHiroiCore(builder.Configuration).AddFunctionsHost();
        builder.Build().Run();
    }
}
