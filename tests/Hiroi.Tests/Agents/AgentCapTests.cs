using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Agents;

/// <summary>
/// A turn reserves before every model call it makes (a tool round's prompt carries the tool's answers), so concurrent
/// tool turns cannot together pass a daily cap; and what a turn holds is settled even when its caller has gone.
/// </summary>
public class AgentCapTests(ClockedApp app) : IClassFixture<ClockedApp>
{
    private async Task<(OrgId Org, AgentEntity Agent)> AgentAsync(long dailyTokenCap, object[]? tools = null)
    {
        var created = await app.CreateOrgAsync();
        using var owner = app.ClientWithKey(created.OwnerApiKey);
        var body = await (await owner.PostAsJsonAsync("/api/agents", AgentBodies.Agent(tools: tools, dailyTokenCap: dailyTokenCap))).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<JsonElement>();
        var agent = await app.Services.GetRequiredService<AgentRepository>().FindAsync(created.OrgId, body.GetProperty("id").GetString()!, default);
        return (created.OrgId, agent!);
    }

    private async Task<UsageEntity> AgentDayAsync(OrgId org, AgentEntity agent)
    {
        var table = await app.Services.GetRequiredService<HiroiTables>().GetAsync(TableNames.AgentUsage, default);
        return (await table.GetEntityAsync<UsageEntity>(org.Value, UsageRows.ScopeDay(UsageRows.Day(app.Clock.GetUtcNow()), agent.RowKey))).Value;
    }

    [Fact]
    public async Task Fourteen_concurrent_tool_turns_with_large_tool_answers_stay_within_the_agents_token_cap()
    {
        await using var tool = await LargeAnswerTool.StartAsync();
        var (org, agent) = await AgentAsync(20_000, [AgentBodies.Tool(new Uri(tool.BaseAddress, "/orders/{{args.orderId}}").ToString())]);
        var turns = app.Services.GetRequiredService<MeteredAgentTurn>();

        var outcomes = await Concurrently.RunAsync(14, i =>
            turns.RunAsync(org, agent, "web", [new ChatMessage(ChatRole.User, $$"""#tool lookup {"orderId":"A-{{i}}"}""")], default));

        var day = await AgentDayAsync(org, agent);
        Assert.InRange(day.Tokens, 1, 20_000);
        Assert.Equal(0, day.ReservedTokens);
        Assert.Contains(outcomes, o => o.Refusal is not null);
        Assert.Contains(outcomes, o => o.Text is not null && o.Text.Contains("lookup answered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_turn_whose_caller_went_away_after_the_model_answered_holds_no_reservation()
    {
        var (org, agent) = await AgentAsync(100_000);
        using var abort = new CancellationTokenSource();
        var turns = ActivatorUtilities.CreateInstance<MeteredAgentTurn>(app.Services, (IAgentChatClients)new AnswerThenAbort(abort));

        try
        {
            await turns.RunAsync(org, agent, "web", [new ChatMessage(ChatRole.User, "hello")], abort.Token);
        }
        catch (OperationCanceledException)
        {
            // The caller has gone either way; what matters is what the turn left behind.
        }

        var day = await AgentDayAsync(org, agent);
        Assert.Equal(0, day.ReservedTokens);
        Assert.Equal(15, day.Tokens); // what the model reported, settled though the caller had gone
    }

    /// <summary>A model that answers, and whose caller gives up (the page closed) just as it does.</summary>
    private sealed class AnswerThenAbort(CancellationTokenSource abort) : IAgentChatClients, IChatClient
    {
        public IChatClient For(string model) => this;

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            await abort.CancelAsync();
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 } };
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>A tenant's tool endpoint on loopback whose every answer is 16,000 bytes, just under the tool answer limit.</summary>
    private sealed class LargeAnswerTool : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private LargeAnswerTool(WebApplication app) => _app = app;

        public Uri BaseAddress => new(_app.Urls.First());

        public static async Task<LargeAnswerTool> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var tool = new LargeAnswerTool(builder.Build());
            tool._app.Run(context => context.Response.WriteAsync(new string('x', 16_000)));
            await tool._app.StartAsync();
            return tool;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
