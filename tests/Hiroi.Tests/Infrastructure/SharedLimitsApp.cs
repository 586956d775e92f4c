using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The whole sign-in loop (ACS simulator and all) with its limits in Garnet, as deployed with Redis, and a client
/// address per request: the header <see cref="ClientIpHeader"/> stands for the connection's address (this app only).
/// </summary>
public sealed class SharedLimitsApp : SimulatedAcsApp
{
    public const string ClientIpHeader = "x-test-client-ip";

    private static int _addresses;

    /// <summary>The app's clock: real time, held by a test while it fires a burst that must meet one window of the limits.</summary>
    public HoldableClock Clock { get; } = new();

    /// <summary>A client address no other test uses, so the per-IP counts in the shared Garnet never meet.</summary>
    public static string NewIp()
    {
        var n = Interlocked.Increment(ref _addresses);
        return $"198.18.{(n >> 8) & 255}.{n & 255}";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:Redis:Connection", TestRedis.Connection);
        builder.ConfigureTestServices(services => services.AddTransient<IStartupFilter, ClientIpFromHeader>().AddSingleton<TimeProvider>(Clock));
    }

    private sealed class ClientIpFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextStep) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[ClientIpHeader], out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                }

                return nextStep(context);
            });
            next(app);
        };
    }
}
