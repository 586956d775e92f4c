using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Security;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>
/// The Functions app answers a realtime agent's call as the self-host does (the same IncomingCall code): with media
/// streaming to the realtime host's socket (<c>Hiroi:Voice:RealtimeBaseUrl</c>, the Container Apps host), a media token
/// in the URL, while its callbacks still come to the app's own callback route.
/// </summary>
public sealed class RealtimeAnswerTests : IAsyncLifetime
{
    private const string Secret = "realtime-answer-secret";
    private readonly Mock<IAcsClient> _acs = new();
    private FunctionsApp _functions = null!;

    public async Task InitializeAsync()
    {
        _acs.Setup(a => a.AnswerCallAsync(It.IsAny<AnswerCallRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((AnswerCallRequest r, CancellationToken _) => new CallConnection("conn-" + r.IncomingCallContext, "srv-" + r.IncomingCallContext, null));
        _functions = await FunctionsApp.StartAsync(
            new Dictionary<string, string>
            {
                ["Hiroi:EventGrid:WebhookSecret"] = Secret,
                ["Hiroi:Calls:CallbackSigningKeys"] = "c1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Hiroi:Calls:PublicBaseUrl"] = "https://func-hiroi.azurewebsites.net",
                ["Hiroi:Voice:RealtimeBaseUrl"] = "https://ca-hiroi.example.azurecontainerapps.io",
                ["Hiroi:Calls:CognitiveServicesEndpoint"] = "https://speech.hiroi.test/",
            },
            services => services.Replace(ServiceDescriptor.Singleton(_acs.Object)));
    }

    public async Task DisposeAsync() => await _functions.DisposeAsync();

    private async Task<AnswerCallRequest> AnswerAsync(string mode)
    {
        var org = await _functions.CreateOrgAsync();
        var owner = _functions.ClientWithKey(org.OwnerApiKey);
        var number = Unique.PhoneNumber();
        (await owner.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        (await owner.PostAsJsonAsync("/api/agents", new { name = "Desk", instructions = "Be brief.", model = "local", numbers = new[] { number }, voice = new { mode } }))
            .EnsureSuccessStatusCode();
        var serverCallId = "srv-" + Guid.NewGuid().ToString("N");
        var webhook = _functions.CreateClient();
        webhook.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", Secret);
        var response = await webhook.PostAsync("/api/eventgrid/acs", TelephonyApp.Json(AcsEvents.Batch(AcsEvents.IncomingCall(Unique.PhoneNumber(), number, serverCallId))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (AnswerCallRequest)_acs.Invocations.Last(i => i.Method.Name == nameof(IAcsClient.AnswerCallAsync)).Arguments[0]!;
    }

    [Fact]
    public async Task A_realtime_agents_call_is_streamed_to_the_realtime_host_with_a_media_token_and_calls_back_to_the_app()
    {
        var answer = await AnswerAsync("realtime");

        var transport = answer.MediaStreaming!.TransportUrl;
        Assert.Equal("wss://ca-hiroi.example.azurecontainerapps.io/api/calls/media", transport.GetLeftPart(UriPartial.Path));
        Assert.True(answer.MediaStreaming.EnableDtmf);
        Assert.StartsWith("https://func-hiroi.azurewebsites.net/api/calls/callbacks?token=v1.", answer.CallbackUri.AbsoluteUri, StringComparison.Ordinal);
        Assert.NotNull(answer.CognitiveServicesEndpoint); // the platform's own lines are played by Call Automation
        var tokens = _functions.Services.GetRequiredService<CallbackTokenService>();
        var media = Uri.UnescapeDataString(transport.Query["?token=".Length..]);
        var claims = await tokens.ValidateAsync(media, CallTokenPurpose.MediaStream, CancellationToken.None);
        Assert.Equal(answer.OperationContext, claims?.CallId);
        Assert.Null(await tokens.ValidateAsync(media, CancellationToken.None));
    }

    [Fact]
    public async Task A_turn_based_agents_call_is_answered_without_streaming()
    {
        var answer = await AnswerAsync("turns");

        Assert.Null(answer.MediaStreaming);
        Assert.NotNull(answer.CognitiveServicesEndpoint);
    }
}
