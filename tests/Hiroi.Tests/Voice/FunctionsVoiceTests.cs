using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hiroi.Shared.Acs;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace Hiroi.Tests.Voice;

/// <summary>The Functions app with ACS mocked at its edge, trusting a test key for Call Automation callbacks.</summary>
public sealed class FunctionsVoiceFixture : IAsyncLifetime
{
    public const string WebhookSecret = "functions-voice-webhook";

    public FunctionsApp App { get; private set; } = null!;

    public Mock<IAcsClient> Acs { get; } = new();

    public AcsCallbackSigner Signer { get; } = new();

    public async Task InitializeAsync() =>
        App = await FunctionsApp.StartAsync(
            new Dictionary<string, string>
            {
                ["Hiroi:EventGrid:WebhookSecret"] = WebhookSecret,
                ["Hiroi:Calls:CallbackSigningKeys"] = "c1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Hiroi:Calls:PublicBaseUrl"] = "https://hiroi.example.net",
                ["Hiroi:Acs:CallbackAuth:Audience"] = AcsCallbackSigner.ResourceId,
                ["Hiroi:Calls:CognitiveServicesEndpoint"] = "https://speech.hiroi.test/",
            },
            services =>
            {
                services.Replace(ServiceDescriptor.Singleton(Acs.Object));
                Signer.TrustIn(services);
            });

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Signer.Dispose();
    }
}

/// <summary>
/// A call with an agent through the Functions app's own functions (the webhook and the callbacks), as the Functions host
/// calls them: the same conversation as on the self-host, Call Automation seen from its REST client's side.
/// </summary>
public class FunctionsVoiceTests(FunctionsVoiceFixture functions) : IClassFixture<FunctionsVoiceFixture>
{
    private FunctionsApp App => functions.App;

    [Fact]
    public async Task An_agent_greets_answers_reprompts_and_says_goodbye_through_the_functions_app()
    {
        var org = await App.CreateOrgAsync();
        var owner = App.ClientWithKey(org.OwnerApiKey);
        var number = Unique.PhoneNumber();
        (await owner.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        (await owner.PostAsJsonAsync("/api/agents", new
        {
            name = "Desk", instructions = "Be brief.", model = "local", numbers = new[] { number },
            voice = new { greeting = "Hello from the functions.", reprompts = 0 },
        })).EnsureSuccessStatusCode();
        var serverCallId = "srv-" + Guid.NewGuid().ToString("N");
        var connection = "conn-" + serverCallId;
        AnswerCallRequest? answered = null;
        functions.Acs.Setup(a => a.AnswerCallAsync(It.Is<AnswerCallRequest>(r => r.IncomingCallContext == "context-" + serverCallId), It.IsAny<CancellationToken>()))
            .Callback<AnswerCallRequest, CancellationToken>((r, _) => answered = r)
            .ReturnsAsync(new CallConnection(connection, serverCallId, "corr"));

        var webhook = App.CreateClient();
        webhook.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", FunctionsVoiceFixture.WebhookSecret);
        Assert.Equal(HttpStatusCode.OK, (await webhook.PostAsync("/api/eventgrid/acs",
            TelephonyApp.Json(AcsEvents.Batch(AcsEvents.IncomingCall(Unique.PhoneNumber(), number, serverCallId))))).StatusCode);
        Assert.NotNull(answered);
        Assert.Equal(new Uri("https://speech.hiroi.test/"), answered!.CognitiveServicesEndpoint);

        await CallbackAsync(answered.CallbackUri, Event("CallConnected", connection, serverCallId));
        var greeting = Recognized(connection).Single();
        Assert.Equal("hv1.0.prompt", greeting.OperationContext);
        Assert.Equal(["Hello from the functions."], greeting.Prompts.Select(p => p.Text));
        Assert.False(greeting.InterruptCurrentMedia);
        Assert.True(greeting.InterruptPrompt);

        await CallbackAsync(answered.CallbackUri, Event("RecognizeCompleted", connection, serverCallId, new JsonObject
        {
            ["operationContext"] = "hv1.0.prompt", ["recognitionType"] = "speech",
            ["speechResult"] = new JsonObject { ["speech"] = "Are you open?", ["confidence"] = 0.9 },
        }));
        var reply = Recognized(connection).Last();
        Assert.Equal("hv1.1.prompt", reply.OperationContext);
        Assert.Equal(["Thanks for your message.", "You said: Are you open?"], reply.Prompts.Select(p => p.Text));

        await CallbackAsync(answered.CallbackUri, Event("RecognizeFailed", connection, serverCallId, new JsonObject
        {
            ["operationContext"] = "hv1.1.prompt", ["resultInformation"] = new JsonObject { ["code"] = 400, ["subCode"] = 8510 },
        }));
        var goodbye = functions.Acs.Invocations.Where(i => i.Method.Name == nameof(IAcsClient.PlayAsync)).Select(i => (PlayRequest)i.Arguments[1]!).Single();
        Assert.Equal("hv1.1.goodbye", goodbye.OperationContext);

        await CallbackAsync(answered.CallbackUri, Event("PlayCompleted", connection, serverCallId, new JsonObject { ["operationContext"] = "hv1.1.goodbye" }));
        functions.Acs.Verify(a => a.HangUpAsync(connection, It.IsAny<CancellationToken>()), Times.Once);
    }

    private List<RecognizeRequest> Recognized(string connection) =>
        [.. functions.Acs.Invocations.Where(i => i.Method.Name == nameof(IAcsClient.RecognizeAsync) && (string)i.Arguments[0]! == connection)
            .Select(i => (RecognizeRequest)i.Arguments[1]!)];

    private async Task CallbackAsync(Uri callback, JsonNode cloudEvent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, callback.PathAndQuery)
        {
            Content = TelephonyApp.Json(AcsEvents.Batch(cloudEvent), "application/cloudevents-batch+json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", functions.Signer.Jwt());
        var response = await App.CreateClient().SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static JsonObject Event(string type, string connection, string serverCallId, JsonObject? extra = null)
    {
        var data = new JsonObject { ["callConnectionId"] = connection, ["serverCallId"] = serverCallId, ["correlationId"] = "corr" };
        foreach (var (key, value) in extra ?? [])
        {
            data[key] = value?.DeepClone();
        }

        return new JsonObject
        {
            ["specversion"] = "1.0", ["id"] = Guid.NewGuid().ToString(), ["source"] = "calling/callConnections/" + connection,
            ["type"] = "Microsoft.Communication." + type, ["time"] = DateTimeOffset.UtcNow.ToString("O"), ["datacontenttype"] = "application/json", ["data"] = data,
        };
    }
}
