using Hiroi.Endpoints.Hosting;
using Hiroi.Endpoints.SignIn;
using Hiroi.Server.AcsSimulator;
using Hiroi.Server.Cli;
using Hiroi.Server.Realtime;
using Hiroi.Server.Workflows;
using Hiroi.Shared;
using Hiroi.Shared.Configuration;

if (HiroiCli.Handles(args))
{
    return await HiroiCli.RunAsync(args, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddLocalSettings(builder.Environment.ContentRootPath);
builder.Services.AddHiroiCore(builder.Configuration).AddSelfHostWorkflows().AddSignInBackgroundWork();
var simulateAcs = builder.Configuration.GetValue<bool>(AcsSimulatorOptions.Section + ":Enabled");
if (simulateAcs)
{
    builder.Services.AddAcsSimulator();
}

var app = builder.Build();
// Realtime calls' media sockets (this host only: Azure Functions cannot serve a WebSocket).
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
app.UseHiroi();
app.MapHiroi();
app.MapCallMedia();
if (simulateAcs)
{
    app.MapAcsSimulator();
}
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
