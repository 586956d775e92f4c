using Azure.Monitor.OpenTelemetry.Exporter;
using Hiroi.Shared.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hiroi.Endpoints.Telemetry;

/// <summary>
/// OpenTelemetry traces, metrics and logs: to Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, to the
/// console when <c>Hiroi:Telemetry:Console</c> is true (local). Every log passes the redaction step first.
/// </summary>
public static class TelemetryExtensions
{
    public const string SourceName = "Hiroi";
    public const string AppInsightsSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string ConsoleSetting = "Hiroi:Telemetry:Console";

    public static IServiceCollection AddHiroiTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var appInsights = configuration[AppInsightsSetting];
        var useAzureMonitor = !string.IsNullOrWhiteSpace(appInsights);
        var useConsole = configuration.GetValue<bool>(ConsoleSetting);

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("hiroi"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(SourceName + ".*").AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (useAzureMonitor)
                {
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = appInsights);
                }

                if (useConsole)
                {
                    tracing.AddConsoleExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SourceName + ".*").AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (useAzureMonitor)
                {
                    metrics.AddAzureMonitorMetricExporter(o => o.ConnectionString = appInsights);
                }

                if (useConsole)
                {
                    metrics.AddConsoleExporter();
                }
            });

        if (useAzureMonitor)
        {
            services.AddLogging(logging => logging.AddOpenTelemetry(o => o.AddAzureMonitorLogExporter(e => e.ConnectionString = appInsights)));
        }

        return services.AddLogRedaction();
    }

    /// <summary>Wraps the logger factory so every provider receives redacted state.</summary>
    public static IServiceCollection AddLogRedaction(this IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp =>
            new RedactingLoggerFactory(ActivatorUtilities.CreateInstance<LoggerFactory>(sp))));
        return services;
    }
}
