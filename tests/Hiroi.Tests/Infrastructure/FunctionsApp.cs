using System.Net.Http.Headers;
using System.Reflection;
using Hiroi.Endpoints.Hosting;
using Hiroi.Functions;
using Hiroi.Functions.Hosting;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Moq;

namespace Hiroi.Tests.Infrastructure;

/// <summary>One function of the Functions app, read from its attributes as the Worker SDK reads them.</summary>
public sealed record FunctionEntry(string Name, MethodInfo Method, string? HttpMethod, string? Route, string? Trigger);

/// <summary>
/// The Functions app's own functions, driven the way the Functions host drives them, since Core Tools cannot run here:
/// each HTTP function is mapped at its trigger's route and method and called with the request and a Durable Task client
/// (as the worker's ASP.NET Core integration and <c>[DurableClient]</c> binding do), its result executed; orchestrator
/// and activity functions are registered by their <c>[Function]</c> names on Microsoft's in-process Durable Task engine.
/// Nothing of the app is replaced: services come from its own <see cref="FunctionsHostExtensions.AddFunctionsHost"/>,
/// and no middleware runs here that the worker would not run.
/// </summary>
public sealed class FunctionsApp : IAsyncDisposable
{
    private readonly IHost _app;

    private FunctionsApp(IHost app) => _app = app;

    public string Prefix { get; private init; } = string.Empty;

    public IServiceProvider Services => _app.Services;

    public DurableTaskClient Workflows => Services.GetRequiredService<DurableTaskClient>();

    /// <summary>The routes of the app's HTTP functions, with the authorization of the endpoint each one runs.</summary>
    public IReadOnlyList<RouteEntry> Routes
    {
        get
        {
            var endpoints = RouteTable.Of(Services.GetRequiredService<HiroiHttp>().Endpoints).ToDictionary(r => r.Name!, StringComparer.Ordinal);
            return [.. Functions.Where(f => f.Trigger == "httpTrigger")
                .Select(f => endpoints[f.Name] with { Method = f.HttpMethod!, Route = "/" + f.Route })];
        }
    }

    /// <summary>Every [Function] of the Functions app.</summary>
    public static IReadOnlyList<FunctionEntry> Functions { get; } = ReadFunctions();

    public static async Task<FunctionsApp> StartAsync(IDictionary<string, string>? settings = null, Action<IServiceCollection>? replace = null)
    {
        var prefix = TestStorage.NewPrefix();
        var subjectKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var built = new TaskCompletionSource<IServiceProvider>();
        // A generic web host like the worker's own (routing to the functions, no middleware of ours), over a test server.
        var host = new HostBuilder()
            .UseEnvironment("Testing")
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .ConfigureAppConfiguration(configuration => configuration
                .AddInMemoryCollection(TestSettings.For(TestStorage.ConnectionString, prefix, subjectKey)!)
                .AddInMemoryCollection(settings!))
            .ConfigureServices((context, services) =>
            {
                services.AddHiroiCore(context.Configuration).AddFunctionsHost();
                // What the Durable extension does for the app: run its orchestrator and activity functions, and bind clients.
                // Its gRPC sidecar on a port the OS gave (left to itself it draws one from 30000-40000, where outgoing
                // connections' ephemeral ports also live: a draw once met one).
                services.AddInMemoryDurableTask(registry => RegisterWorkflowFunctions(registry, built.Task),
                    new InMemoryDurableTaskOptions { Port = TestStorage.FreePort() });
                services.AddRouting();
                replace?.Invoke(services);
            })
            .ConfigureWebHost(web => web.UseTestServer().Configure(app => app.UseRouting().UseEndpoints(endpoints =>
            {
                foreach (var function in Functions.Where(f => f.Trigger == "httpTrigger"))
                {
                    endpoints.MapMethods("/" + function.Route, [function.HttpMethod!], context => InvokeHttpAsync(function, context));
                }
            })))
            .Build();
        built.SetResult(host.Services);
        await host.StartAsync();
        return new FunctionsApp(host) { Prefix = prefix };
    }

    public HttpClient CreateClient() => _app.GetTestClient();

    public HttpClient ClientWithKey(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public Task<CreatedOrganization> CreateOrgAsync(string name = "Acme", string owner = "owner@example.com") =>
        Services.GetRequiredService<OrganizationService>().CreateAsync(name, owner, CancellationToken.None);

    /// <summary>Calls a function as the host does: an instance of its class from the container, its parameters bound.</summary>
    public async Task<object?> InvokeAsync(string name, params object?[] arguments)
    {
        var function = Functions.Single(f => f.Name == name);
        await using var scope = Services.CreateAsyncScope();
        var target = function.Method.IsStatic ? null : ActivatorUtilities.CreateInstance(scope.ServiceProvider, function.Method.DeclaringType!);
        var task = (Task)function.Method.Invoke(target, arguments)!;
        await task;
        return task.GetType().GetProperty("Result")?.GetValue(task);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        _app.Dispose();
    }

    private static async Task InvokeHttpAsync(FunctionEntry function, HttpContext context)
    {
        var target = ActivatorUtilities.CreateInstance(context.RequestServices, function.Method.DeclaringType!);
        var client = context.RequestServices.GetRequiredService<DurableTaskClient>();
        var result = await (Task<IResult>)function.Method.Invoke(target, [context.Request, client])!;
        await result.ExecuteAsync(context);
    }

    /// <summary>The app's orchestrator and activity functions, by their function names, as the Durable extension registers them.</summary>
    private static void RegisterWorkflowFunctions(DurableTaskRegistry registry, Task<IServiceProvider> services)
    {
        foreach (var function in Functions)
        {
            switch (function.Trigger)
            {
                case "orchestrationTrigger":
                    registry.AddOrchestrator(function.Name, () => new FunctionOrchestrator(function.Method));
                    break;
                case "activityTrigger":
                    registry.AddActivity(function.Name, default, () => new FunctionActivity(function.Method, services));
                    break;
            }
        }
    }

    private static IReadOnlyList<FunctionEntry> ReadFunctions() =>
        [.. typeof(FunctionsProgram).Assembly.GetTypes().SelectMany(t => t.GetMethods())
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(x => x.Function is not null)
            .Select(x =>
            {
                var http = x.Method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).OfType<HttpTriggerAttribute>().FirstOrDefault();
                var trigger = x.Method.GetParameters().SelectMany(p => p.GetCustomAttributes()).Select(a => a.GetType().Name)
                    .FirstOrDefault(n => n.EndsWith("TriggerAttribute", StringComparison.Ordinal));
                return new FunctionEntry(x.Function!.Name, x.Method, http?.Methods?.Single().ToUpperInvariant(), http?.Route,
                    trigger is null ? null : char.ToLowerInvariant(trigger[0]) + trigger[1..^"Attribute".Length]);
            })];

    /// <summary>An orchestrator function: its context, then its input (the parameter the extension binds it to).</summary>
    private sealed class FunctionOrchestrator(MethodInfo method) : ITaskOrchestrator
    {
        public Type InputType => method.GetParameters()[1].ParameterType;

        public Type OutputType => method.ReturnType.GetGenericArguments()[0];

        public async Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
        {
            var task = (Task)method.Invoke(null, [context, input])!;
            await task;
            return task.GetType().GetProperty("Result")?.GetValue(task);
        }
    }

    private sealed class FunctionActivity(MethodInfo method, Task<IServiceProvider> app) : ITaskActivity
    {
        public Type InputType => method.GetParameters()[0].ParameterType;

        public Type OutputType => method.ReturnType.IsGenericType ? method.ReturnType.GetGenericArguments()[0] : typeof(object);

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            await using var scope = (await app).CreateAsyncScope();
            var target = method.IsStatic ? null : ActivatorUtilities.CreateInstance(scope.ServiceProvider, method.DeclaringType!);
            // As the extension binds an activity function: its input, the calling orchestration's id, the invocation's context.
            var invocation = new Mock<FunctionContext>();
            invocation.SetupGet(f => f.InstanceServices).Returns(scope.ServiceProvider);
            var arguments = method.GetParameters().Select(p => p switch
            {
                _ when p.GetCustomAttribute<ActivityTriggerAttribute>() is not null => input,
                { Name: "instanceId" } => context.InstanceId,
                _ when p.ParameterType == typeof(FunctionContext) => invocation.Object,
                _ when p.ParameterType == typeof(CancellationToken) => CancellationToken.None,
                _ => throw new InvalidOperationException($"{method.Name} takes {p.Name}, which no binding gives."),
            }).ToArray();
            var task = (Task)method.Invoke(target, arguments)!;
            await task;
            var result = task.GetType().GetProperty("Result")?.GetValue(task);
            // As the worker hands a result back: serialized by its runtime type with the worker's default serializer.
            return result is null ? null : System.Text.Json.JsonSerializer.SerializeToElement(result, result.GetType());
        }
    }
}
