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
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Tests.Agents;

/// <summary>A tenant's HTTP endpoint on loopback that records what tools send it.</summary>
public sealed class ToolEndpoint : IAsyncLifetime
{
    private WebApplication? _app;

    public ConcurrentQueue<(string Path, string? Authorization, string Body)> Calls { get; } = new();

    /// <summary>What <c>/held</c> waits for before it answers: a test sets it when it has seen what happens meanwhile (and may put a new one in).</summary>
    public TaskCompletionSource Held { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
                case "/held":
                    await Held.Task.WaitAsync(context.RequestAborted);
                    await context.Response.WriteAsJsonAsync(new { status = "released" });
                    break;
                case "/slow":
                    // Never answers: the request waits until the tool gives up on it, however long that takes.
                    var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    using (context.RequestAborted.Register(() => aborted.TrySetResult()))
                    {
                        await aborted.Task;
                    }

                    break;
                case "/echo":
                    await context.Response.WriteAsync("you sent " + context.Request.Headers.Authorization + " and " + body);
                    break;
                case var echo when echo?.StartsWith("/echo/", StringComparison.Ordinal) == true:
                    await context.Response.WriteAsync(EchoForm(echo["/echo/".Length..], context.Request.Headers.Authorization.ToString()));
                    break;
                default:
                    await context.Response.WriteAsJsonAsync(new { order = context.Request.Path.Value, status = "shipped" });
                    break;
            }
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
    }

    /// <summary>
    /// A tool that looks up an order on this endpoint (<c>POST /orders</c>), with the org secret <c>SHOP</c> as its
    /// bearer: what the voice tests give their agents.
    /// </summary>
    public object OrderLookupTool() => new
    {
        name = "lookup", description = "Looks up an order",
        parameters = new { type = "object", properties = new { orderId = new { type = "string" } }, required = new[] { "orderId" } },
        request = new
        {
            method = "POST", url = new Uri(BaseAddress, "/orders").ToString(),
            headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {{secrets.SHOP}}" }, body = new { id = "{{args.orderId}}" },
        },
    };

    /// <summary>The Authorization header as an echoing server might hand it back.</summary>
    public static string EchoForm(string form, string header)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(header);
        return form switch
        {
            "json" => JsonSerializer.Serialize(new { authorization = header }), // \u0022, \u002B, \u003C...
            "json-slashes" => "{\"authorization\":\"" + header.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
                .Replace("/", "\\/", StringComparison.Ordinal) + "\"}",
            "base64" => Convert.ToBase64String(bytes),
            "base64-unpadded" => Convert.ToBase64String(bytes).TrimEnd('='),
            "base64url" => System.Buffers.Text.Base64Url.EncodeToString(bytes),
            "base64url-padded" => Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_'),
            "upper" => header.ToUpperInvariant(),
            _ => header,
        };
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
        object tool, Dictionary<string, object?> arguments, Dictionary<string, string>? secrets = null, Action<AiOptions>? settings = null,
        ILoggerProvider? logs = null)
    {
        var org = await app.CreateOrgAsync();
        var caller = Caller.System(org.OrgId, "agent:agt_test");
        var fake = new FakeToolSecrets(secrets ?? new() { ["SHOP_TOKEN"] = Token });
        var definition = JsonSerializer.Deserialize<ToolDefinition>(JsonSerializer.Serialize(tool), ToolDefinition.Json)!;
        var compiled = new ToolCompiler(allowLoopback: true).CompileStored(definition);
        // The tool client as the app builds it, with these settings.
        var options = app.Services.GetRequiredService<IOptions<AiOptions>>().Value;
        var services = new ServiceCollection().AddSingleton(Options.Create(options));
        settings?.Invoke(options = new AiOptions
        {
            AllowLoopbackTools = true, MaxToolResponseBytes = options.MaxToolResponseBytes, ToolTimeoutSeconds = options.ToolTimeoutSeconds,
        });
        services.Replace(ServiceDescriptor.Singleton(Options.Create(options)));
        if (logs is not null)
        {
            services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        }

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
        var tool = AgentBodies.Tool(Url("/echo"), new() { ["Authorization"] = "Bearer {{secrets.SHOP_TOKEN}}" },
            body: new { token = "{{secrets.SHOP_TOKEN}}", id = "{{args.orderId}}" }, method: "POST");

        var (answer, _, _) = await CallAsync(tool, new() { ["orderId"] = "A-17" });

        Assert.Contains(Token, Assert.Single(_endpoint.Calls).Body, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, answer, StringComparison.Ordinal);
        Assert.Contains("[secret SHOP_TOKEN]", answer, StringComparison.Ordinal);
    }

    private static readonly object TwoIds = new
    {
        type = "object", properties = new { customerId = new { type = "string" }, orderId = new { type = "string" } }, required = new[] { "customerId", "orderId" },
    };

    [Theory]
    [InlineData("..", "..")]
    [InlineData(".", "..")]
    [InlineData("%2e%2e", "%2E%2E")]
    [InlineData("%252e%252E", "A-1")]
    [InlineData("../admin", "A-1")]
    [InlineData("..\\admin", "A-1")]
    [InlineData("\uFF0E\uFF0E", "A-1")]
    [InlineData("A-1", "..;jsessionid=x")]
    public async Task A_dot_segment_in_a_path_argument_is_refused_before_anything_is_sent(string customerId, string orderId)
    {
        // Sent as %2E%2E, ".." was decoded and collapsed by Uri: both arguments ".." made the call go to /api/.
        var tool = AgentBodies.Tool(Url("/api/customers/{{args.customerId}}/orders/{{args.orderId}}"), parameters: TwoIds);

        var (answer, _, _) = await CallAsync(tool, new() { ["customerId"] = customerId, ["orderId"] = orderId });

        Assert.Contains("path segment", JsonDocument.Parse(answer).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_endpoint.Calls);
    }

    [Fact]
    public async Task Dots_are_plain_text_in_a_segment_and_in_the_query()
    {
        var tool = AgentBodies.Tool(Url("/api/customers/{{args.customerId}}/orders?q={{args.orderId}}"), parameters: TwoIds);

        await CallAsync(tool, new() { ["customerId"] = "a..b", ["orderId"] = ".." });

        Assert.Equal("/api/customers/a..b/orders?q=..", Assert.Single(_endpoint.Calls).Path);
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

        using var logs = new ResilienceEvents();
        var (answer, _, _) = await CallAsync(tool, new() { ["orderId"] = "A-1" }, settings: o => o.AllowLoopbackTools = false, logs: logs);

        // Refused, said so, and not retried as if the server were down (the pipeline logs each retry it makes).
        Assert.Contains("an address tools may not call", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be reached", answer, StringComparison.Ordinal);
        Assert.Empty(_endpoint.Calls);
        Assert.Contains(logs.Messages, m => m.Contains("Execution attempt", StringComparison.Ordinal)); // the pipeline's own log is heard
        Assert.DoesNotContain(logs.Messages, m => m.Contains("OnRetry", StringComparison.Ordinal));
    }

    /// <summary>What the resilience pipeline (Polly) logs: each attempt, and each retry it decides on.</summary>
    private sealed class ResilienceEvents : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception));

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task A_server_slower_than_the_tool_timeout_is_given_up_on()
    {
        var tool = AgentBodies.Tool(Url("/slow"));

        var (answer, _, _) = await CallAsync(tool, new() { ["orderId"] = "A-1" }, settings: o => o.ToolTimeoutSeconds = 1);

        Assert.Contains("could not be reached in time", answer, StringComparison.Ordinal);
    }

    private const string SpecialToken = "tok+live/5ecret\"value<9f>&7d";

    public static TheoryData<string, string> EchoForms
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var form in new[] { "json", "json-slashes", "base64", "base64-unpadded", "base64url", "base64url-padded", "upper" })
            {
                // Three prefixes put the secret at each of base64's three byte offsets.
                foreach (var prefix in new[] { "Bearer ", "Token ", "Key " })
                {
                    data.Add(form, prefix);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(EchoForms))]
    public async Task A_server_that_echoes_the_secret_encoded_does_not_hand_it_to_the_model(string form, string prefix)
    {
        var tool = AgentBodies.Tool(Url("/echo/" + form), new() { ["Authorization"] = prefix + "{{secrets.SHOP_TOKEN}}" });

        var (answer, _, _) = await CallAsync(tool, new() { ["orderId"] = "A-17" }, new() { ["SHOP_TOKEN"] = SpecialToken });

        Assert.Equal(prefix + SpecialToken, Assert.Single(_endpoint.Calls).Authorization);
        var body = JsonDocument.Parse(answer).RootElement.GetProperty("body").GetString()!;
        Assert.Contains("[secret SHOP_TOKEN]", body, StringComparison.Ordinal);
        Assert.DoesNotContain(ToolEndpoint.EchoForm(form, SpecialToken), body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(SpecialToken, body, StringComparison.OrdinalIgnoreCase);
        if (form.StartsWith("json", StringComparison.Ordinal))
        {
            Assert.DoesNotContain(SpecialToken, JsonDocument.Parse(body).RootElement.GetProperty("authorization").GetString()!, StringComparison.OrdinalIgnoreCase);
        }

        // Whatever bytes precede it, the base64 characters that only the secret decides are not there.
        var secret = System.Text.Encoding.UTF8.GetBytes(SpecialToken);
        for (var skip = 0; skip < 3; skip++)
        {
            var core = secret[skip..][..((secret.Length - skip) / 3 * 3)];
            Assert.DoesNotContain(Convert.ToBase64String(core), body, StringComparison.Ordinal);
            Assert.DoesNotContain(System.Buffers.Text.Base64Url.EncodeToString(core), body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_catastrophic_pattern_runs_in_linear_time_on_what_the_model_sends()
    {
        var definition = JsonSerializer.Deserialize<ToolDefinition>(JsonSerializer.Serialize(AgentBodies.Tool(Url("/orders/{{args.orderId}}"),
            parameters: new { type = "object", properties = new { orderId = new { type = "string", pattern = "^(a+)+$" } } })), ToolDefinition.Json)!;
        var errors = new List<string>();
        var compiled = Assert.Single(new ToolCompiler(allowLoopback: true).Compile([definition], (field, message) => errors.Add(field)));
        Assert.Empty(errors);
        var evil = JsonSerializer.SerializeToElement(new { orderId = new string('a', 48) + "!" });

        // Backtracking, 48 characters take months (24 took 1.6 s, each one more doubles it); linear, microseconds. The
        // two differ by so much that the ceiling, there only to end a hang, needs no regard for the machine's speed.
        var evaluation = await Task.Run(() => compiled.Schema.Evaluate(evil)).WaitAsync(Waits.Ceiling);

        Assert.False(evaluation.IsValid);
        Assert.True(compiled.Schema.Evaluate(JsonSerializer.SerializeToElement(new { orderId = "aaaa" })).IsValid);
    }

    [Fact]
    public async Task A_backtracking_pattern_stored_before_the_rule_fails_the_call_in_bounded_time_instead_of_stalling_the_turn()
    {
        // Refused at save now; a stored one still compiles (CompileStored), under a match timeout.
        var tool = AgentBodies.Tool(Url("/orders/{{args.orderId}}"),
            parameters: new { type = "object", properties = new { orderId = new { type = "string", pattern = "^(a+)+\\1$" } } });

        var (answer, _, _) = await CallAsync(tool, new() { ["orderId"] = new string('a', 40) + "!" }).WaitAsync(Waits.Ceiling);

        Assert.Contains("took too long to check", answer, StringComparison.Ordinal);
        Assert.Empty(_endpoint.Calls);
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
    [InlineData("168.63.129.16", false)] // Azure's host endpoint (DHCP, DNS, health, the VM agent)
    [InlineData("::ffff:168.63.129.16", false)]
    [InlineData("192.0.2.1", false)] // TEST-NET-1..3
    [InlineData("198.51.100.1", false)]
    [InlineData("203.0.113.1", false)]
    [InlineData("192.88.99.1", false)] // 6to4 relay anycast
    [InlineData("64:ff9b::a00:1", false)] // NAT64 of 10.0.0.1
    [InlineData("64:ff9b::808:808", false)] // NAT64 reaches IPv4 through a translator: never a tool's own address
    [InlineData("64:ff9b:1::a00:1", false)]
    [InlineData("::10.0.0.1", false)] // IPv4-compatible
    [InlineData("::127.0.0.1", false)]
    [InlineData("2002:a00:1::1", false)] // 6to4 of 10.0.0.1
    [InlineData("2002:a9fe:a9fe::1", false)] // 6to4 of 169.254.169.254
    [InlineData("::ffff:0:a00:1", false)] // SIIT
    [InlineData("2001:0:4136:e378:8000:63bf:f5ff:fffe", false)] // Teredo
    [InlineData("3fff::1", false)] // documentation (RFC 9637)
    [InlineData("100::1", false)] // discard-only
    [InlineData("8.8.8.8", true)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("2a00:1450:4001:81c::200e", true)]
    public void Only_public_addresses_are_reachable_by_tools(string address, bool reachable) =>
        Assert.Equal(reachable, ToolHttp.IsPublic(IPAddress.Parse(address)));
}
