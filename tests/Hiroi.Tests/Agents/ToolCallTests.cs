using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hiroi.Tests.Agents;

/// <summary>A tenant's HTTP endpoint on loopback that records what tools send it.</summary>
public sealed class ToolEndpoint : IAsyncLifetime
{
    private WebApplication? _app;

    public ConcurrentQueue<(string Path, string? Authorization, string Body)> Calls { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            Calls.Enqueue((context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.ToString(), body));
            switch (context.Request.Path.Value)
            {
                case "/big":
                    await context.Response.WriteAsync(new string('x', 20_000));
                    break;
                case "/moved":
                    context.Response.Redirect("http://169.254.169.254/latest/meta-data/");
                    break;
                case "/slow":
                    await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
                    break;
                case "/echo":
                    await context.Response.WriteAsync("you sent " + context.Request.Headers.Authorization + " and " + body);
                    break;
                default:
                    await context.Response.WriteAsJsonAsync(new { order = context.Request.Path.Value, status = "shipped" });
                    break;
            }
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>An org's secrets in memory: the store itself is tested on its own; here, what tools do with what it reveals.</summary>
internal sealed class FakeToolSecrets(Dictionary<string, string> values) : IToolSecrets
{
    public List<string> Revealed { get; } = [];

    public Task<string?> RevealAsync(Caller caller, string name, string usedBy, CancellationToken cancellationToken)
    {
        Revealed.Add(name);
        return Task.FromResult(values.GetValueOrDefault(name));
    }
}

public class ToolCallTests(HiroiApp app) : IClassFixture<HiroiApp>, IAsyncLifetime
{
    private const string Token = "tok_live_5ecret_value_9f8e7d";
    private readonly ToolEndpoint _endpoint = new();

    public Task InitializeAsync() => _endpoint.InitializeAsync();

    public Task DisposeAsync() => _endpoint.DisposeAsync();

    private async Task<(string Answer, FakeToolSecrets Secrets, Caller Caller)> CallAsync(
        object tool, Dictionary<string, object?> arguments, Dictionary<string, string>? secrets = null, Action<AiOptions>? settings = null)
    {
        var org = await app.CreateOrgAsync();
        var caller = Caller.System(org.OrgId, "agent:agt_test");
        var fake = new FakeToolSecrets(secrets ?? new() { ["SHOP_TOKEN"] = Token });
        var definition = JsonSerializer.Deserialize<ToolDefinition>(JsonSerializer.Serialize(tool), ToolDefinition.Json)!;
        var compiled = new ToolCompiler(allowLoopback: true).CompileStored(definition);
        // The tool client as the app builds it, with these settings.
        var options = app.Services.GetRequiredService<IOptions<AiOptions>>().Value;
        var services = new ServiceCollection().AddSingleton(Options.Create(options));
        settings?.Invoke(options = new AiOptions { AllowLoopbackTools = true, MaxToolResponseBytes = options.MaxToolResponseBytes, ToolTimeoutSeconds = options.ToolTimeoutSeconds });
        services.Replace(ServiceDescriptor.Singleton(Options.Create(options)));
        using var provider = services.AddToolHttp().BuildServiceProvider();
        var function = new HttpToolFunction(compiled, new ToolCallContext(caller, "agt_test"), fake,
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(ToolHttp.ClientName), options, app.Services.GetRequiredService<AuditTrail>());
        var answer = await function.InvokeAsync(new AIFunctionArguments(arguments));
        return ((string)answer!, fake, caller);
    }

    private string Url(string path) => new Uri(_endpoint.BaseAddress, path).ToString();

    [Fact]
    public async Task A_call_carries_the_secret_to_the_tools_host_and_the_model_gets_the_answer_without_it()
    {
        var tool = AgentBodies.Tool(Url("/orders/{{args.orderId}}"), new() { ["Authorization"] = "Bearer {{secrets.SHOP_TOKEN}}" });

        var (answer, secrets, _) = await CallAsync(tool, new() { ["orderId"] = "A-17" });

        var call = Assert.Single(_endpoint.Calls);
        Assert.Equal("/orders/A-17", call.Path);
        Assert.Equal("Bearer " + Token, call.Authorization);
        Assert.Equal(["SHOP_TOKEN"], secrets.Revealed);
        Assert.Equal(200, JsonDocument.Parse(answer).RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain(Token, answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_echoes_the_secret_does_not_hand_it_to_the_model()
    {
        var tool = AgentBodies.Tool(Url("/echo"), new() { ["Authorization"] = "Bearer {{secrets.SHOP_TOKEN}}" }, body: new { token = "{{secrets.SHOP_TOKEN}}", id = "{{args.orderId}}" }, method: "POST");

        var (answer, _, _) = await CallAsync(tool, new() { ["orderId"] = "A-17" });

        Assert.Contains(Token, Assert.Single(_endpoint.Calls).Body, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, answer, StringComparison.Ordinal);
        Assert.Contains("[secret SHOP_TOKEN]", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_argument_stays_one_path_segment_and_cannot_walk_up_the_path()
    {
        var tool = AgentBodies.Tool(Url("/orders/{{args.orderId}}"));

        await CallAsync(tool, new() { ["orderId"] = "../admin" });

        // Sent as /orders/%2E%2E%2Fadmin: the server decodes the dots but the slash keeps it one segment under /orders.
        Assert.Equal("/orders/..%2Fadmin", Assert.Single(_endpoint.Calls).Path);
    }

    public static TheoryData<string, string, string?> Refusals => new()
    {
        { "/orders/{{args.orderId}}", "the arguments do not match the tool's schema", "not an id!" },
        { "/orders/{{args.orderId}}", "the org has no secret named MISSING", null },
        { "/big", "over 16384 bytes", "A-1" },
        { "/moved", "redirect", "A-1" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_call_that_cannot_be_made_tells_the_model_why_and_is_audited(string path, string reason, string? orderId)
    {
        var headers = orderId is null ? new Dictionary<string, string> { ["Authorization"] = "Bearer {{secrets.MISSING}}" } : null;
        var tool = AgentBodies.Tool(Url(path), headers);

        var (answer, _, caller) = await CallAsync(tool, new() { ["orderId"] = orderId ?? "A-1" });

        Assert.Contains(reason, JsonDocument.Parse(answer).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        var audit = app.Services.GetRequiredService<AuditTrail>();
        var entries = await audit.QueryAsync(caller.OrgId, new AuditQuery(null, null, null, AuditActions.AgentToolFailed), 10, null, default);
        Assert.Contains(reason, Assert.Single(entries.Entries).Detail, StringComparison.Ordinal);
        if (path == "/orders/{{args.orderId}}")
        {
            Assert.Empty(_endpoint.Calls); // refused before anything was sent
        }
    }

    [Fact]
    public async Task Without_the_local_allowance_the_connect_guard_refuses_loopback_even_when_the_url_names_it()
    {
        var tool = AgentBodies.Tool(Url("/orders/{{args.orderId}}"));

        var (answer, _, _) = await CallAsync(tool, new() { ["orderId"] = "A-1" }, settings: o => o.AllowLoopbackTools = false);

        Assert.Contains("could not be reached", answer, StringComparison.Ordinal);
        Assert.Empty(_endpoint.Calls);
    }

    [Fact]
    public async Task A_server_slower_than_the_tool_timeout_is_given_up_on()
    {
        var tool = AgentBodies.Tool(Url("/slow"));

        var (answer, _, _) = await CallAsync(tool, new() { ["orderId"] = "A-1" }, settings: o => o.ToolTimeoutSeconds = 1);

        Assert.Contains("could not be reached in time", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700::1111", true)]
    public void Only_public_addresses_are_reachable_by_tools(string address, bool reachable) =>
        Assert.Equal(reachable, ToolHttp.IsPublic(IPAddress.Parse(address)));
}
