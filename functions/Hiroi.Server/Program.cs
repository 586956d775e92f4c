using Hiroi.Endpoints.Hosting;
using Hiroi.Server.Cli;
using Hiroi.Shared;

if (HiroiCli.Handles(args))
{
    return await HiroiCli.RunAsync(args, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddLocalSettings(builder.Environment.ContentRootPath);
builder.Services.AddHiroiEndpoints(builder.Configuration);

var app = builder.Build();
app.UseHiroi();
app.MapHiroi();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
