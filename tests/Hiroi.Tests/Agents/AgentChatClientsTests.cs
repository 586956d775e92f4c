using Hiroi.Shared;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Configuration;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hiroi.Tests.Agents;

[Lane(Lanes.Unit)]
public class AgentChatClientsTests
{
    [Fact]
    public void Azure_OpenAI_needs_its_endpoint_and_serves_the_deployment_through_its_v1_api()
    {
        using var missing = new AgentChatClients(Options.Create(new AiOptions { Provider = AiProvider.AzureOpenAI }));
        Assert.Contains("Hiroi__Ai__Endpoint", Assert.Throws<SettingException>(() => missing.For("gpt-4o-mini")).Message, StringComparison.Ordinal);

        using var clients = new AgentChatClients(
            Options.Create(new AiOptions { Provider = AiProvider.AzureOpenAI, Endpoint = new Uri("https://contoso.openai.azure.com/"), MaxToolRounds = 3 }));
        var client = clients.For("gpt-4o-mini");

        Assert.Null(client.GetService<FunctionInvokingChatClient>()); // each turn puts its own meter and tool loop over it
        var metadata = client.GetService<ChatClientMetadata>()!;
        Assert.Equal("gpt-4o-mini", metadata.DefaultModelId);
        Assert.Equal("https://contoso.openai.azure.com/openai/v1/", metadata.ProviderUri!.ToString());
        Assert.Same(client, clients.For("gpt-4o-mini")); // one per deployment
    }

    [Fact]
    public async Task The_local_model_quotes_calls_tools_on_request_and_counts_tokens()
    {
        using var clients = new AgentChatClients(Options.Create(new AiOptions()));
        var tool = AIFunctionFactory.Create((string orderId) => $"order {orderId} shipped", "lookup", "Looks up an order");
        using var withTools = new ChatClientBuilder(clients.For("local")).UseFunctionInvocation(NullLoggerFactory.Instance).Build();

        var plain = await clients.For("local").GetResponseAsync([new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi there")]);
        var tooled = await withTools.GetResponseAsync(
            [new(ChatRole.User, """#tool lookup {"orderId":"A-17"}""")], new ChatOptions { Tools = [tool] });

        Assert.Equal("Thanks for your message. You said: Hi there", plain.Text);
        Assert.Equal((5, 11), (plain.Usage!.InputTokenCount, plain.Usage.OutputTokenCount)); // 9 and 8 characters: 3 + 2 tokens in; 43 characters: 11 out
        Assert.Equal("lookup answered: order A-17 shipped", tooled.Text);
        Assert.True(tooled.Usage!.InputTokenCount > 8); // both rounds counted
    }
}
