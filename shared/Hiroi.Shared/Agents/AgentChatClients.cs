using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Azure.Identity;
using Hiroi.Shared.Configuration;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Hiroi.Shared.Agents;

/// <summary>
/// The <see cref="IChatClient"/> of a model deployment, one per deployment for the process. Turns put their meter and the
/// function-invocation loop over it (<see cref="MeteredAgentTurn"/>), so every model call of a turn is reserved first.
/// </summary>
public interface IAgentChatClients
{
    IChatClient For(string model);
}

/// <summary>
/// Builds each deployment's client once: the local model, or Azure OpenAI through its OpenAI-compatible v1 API signed
/// in with the app's Entra identity (no key anywhere).
/// </summary>
public sealed class AgentChatClients(IOptions<AiOptions> options) : IAgentChatClients, IDisposable
{
    private const string CognitiveServicesScope = "https://cognitiveservices.azure.com/.default";

    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);

    public IChatClient For(string model) => _clients.GetOrAdd(model, Build);

    private IChatClient Build(string model)
    {
        var ai = options.Value;
        return ai.Provider switch
        {
            AiProvider.Local => new LocalChatClient(),
            AiProvider.AzureOpenAI => AzureOpenAI(model, ai.Endpoint ?? throw new SettingException(AiOptions.Section + ":Endpoint", "is required for Azure OpenAI")),
            _ => throw new SettingException(AiOptions.Section + ":Provider", "must be Local or AzureOpenAI"),
        };
    }

    // The AuthenticationPolicy constructor is how the OpenAI library takes an Entra token; it is marked for evaluation.
#pragma warning disable OPENAI001
    private static IChatClient AzureOpenAI(string deployment, Uri endpoint) =>
        new OpenAI.Chat.ChatClient(
            deployment,
            new BearerTokenPolicy(new DefaultAzureCredential(), CognitiveServicesScope),
            new OpenAIClientOptions { Endpoint = new Uri(endpoint, "openai/v1/") }).AsIChatClient();
#pragma warning restore OPENAI001

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
