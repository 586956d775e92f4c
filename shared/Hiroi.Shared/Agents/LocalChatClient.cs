using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Hiroi.Shared.Agents;

/// <summary>
/// A deterministic model for <c>./run</c> and tests, so the whole agent loop runs with no AI service. It answers the
/// customer's last message by quoting it; a message <c>#tool NAME {json}</c> makes it call that tool with those
/// arguments, and a tool's answer is quoted back. Tokens are counted as characters / 4 (rounded up), of everything sent
/// and everything answered, and the answer never exceeds <see cref="ChatOptions.MaxOutputTokens"/>.
/// </summary>
public sealed partial class LocalChatClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var history = messages.ToList();
        var answer = Answer(history, options);
        var outputText = answer.Contents.OfType<TextContent>().Select(t => t.Text)
            .Concat(answer.Contents.OfType<FunctionCallContent>().Select(c => c.Name + JsonSerializer.Serialize(c.Arguments)));
        var response = new ChatResponse(answer)
        {
            ModelId = options?.ModelId ?? "local",
            Usage = new UsageDetails
            {
                InputTokenCount = Tokens(history.Select(Text)),
                OutputTokenCount = Tokens(outputText),
            },
        };
        response.Usage.TotalTokenCount = response.Usage.InputTokenCount + response.Usage.OutputTokenCount;
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType?.IsInstanceOfType(this) == true ? this : null;

    public void Dispose()
    {
    }

    private static ChatMessage Answer(List<ChatMessage> history, ChatOptions? options)
    {
        var last = history.LastOrDefault();
        if (last?.Contents.OfType<FunctionResultContent>().FirstOrDefault() is { } result)
        {
            var call = history.SelectMany(m => m.Contents.OfType<FunctionCallContent>()).LastOrDefault(c => c.CallId == result.CallId);
            return Reply($"{call?.Name ?? "The tool"} answered: {ResultText(result.Result)}", options);
        }

        var text = last?.Text.Trim() ?? string.Empty;
        if (ToolRequest().Match(text) is { Success: true } asked)
        {
            var name = asked.Groups["name"].Value;
            if (options?.Tools?.OfType<AIFunctionDeclaration>().Any(t => t.Name == name) != true)
            {
                return Reply($"I have no tool called {name}.", options);
            }

            var arguments = asked.Groups["args"].Success ? Arguments(asked.Groups["args"].Value) : new Dictionary<string, object?>();
            return arguments is null
                ? Reply("Those tool arguments are not a JSON object.", options)
                : new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call_" + history.Count, name, arguments)]);
        }

        return Reply($"Thanks for your message. You said: {text}", options);
    }

    private static ChatMessage Reply(string text, ChatOptions? options)
    {
        var maxChars = (options?.MaxOutputTokens ?? int.MaxValue / 4) * 4L;
        return new ChatMessage(ChatRole.Assistant, text.Length > maxChars ? text[..(int)maxChars] : text);
    }

    private static string ResultText(object? result) => result switch
    {
        null => "nothing",
        JsonElement { ValueKind: JsonValueKind.String } s => s.GetString()!,
        _ => result.ToString() ?? string.Empty,
    };

    private static Dictionary<string, object?>? Arguments(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Text(ChatMessage message) =>
        message.Text + string.Concat(message.Contents.OfType<FunctionResultContent>().Select(r => ResultText(r.Result)));

    private static long Tokens(IEnumerable<string> texts) => texts.Sum(t => (t.Length + 3L) / 4);

    [GeneratedRegex(@"^#tool\s+(?<name>[A-Za-z][A-Za-z0-9_-]*)\s*(?<args>\{.*\})?\s*$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex ToolRequest();
}
