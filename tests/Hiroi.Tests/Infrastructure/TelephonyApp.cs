using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Security;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Moq;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// The self-host with ACS replaced at the network edge by a mock (ACS cannot run here) that accepts every SMS and hands
/// out message ids, and a known webhook secret.
/// </summary>
public sealed class TelephonyApp : IDisposable
{
    public const string WebhookSecret = "test-webhook-secret";
    public const string PreviousWebhookSecret = "previous-webhook-secret";
    public const string AcsResourceId = AcsCallbackSigner.ResourceId;
    public static readonly string RecordingKeys = "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly AcsCallbackSigner _signer = new();
    private int _messages;

    /// <param name="inMemoryWorkflows">False runs the workflows on DurableTask.AzureStorage in Azurite, as <c>./run</c> does.</param>
    public TelephonyApp(bool inMemoryWorkflows = true)
    {
        Acs.Setup(a => a.SendSmsAsync(It.IsAny<SmsRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new SmsSendResult("Outgoing_" + Interlocked.Increment(ref _messages), true, 202, null));
        App = new AcsMockedApp(this, inMemoryWorkflows);
    }

    public Mock<IAcsClient> Acs { get; } = new();

    public HiroiApp App { get; }

    public HttpClient Webhook(string? secret = WebhookSecret)
    {
        var client = App.CreateClient();
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Add("x-hiroi-webhook-secret", secret);
        }

        return client;
    }

    public static StringContent Json(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, new MediaTypeHeaderValue(mediaType));

    /// <summary>An org that owns <paramref name="number"/>, and a client with its owner key.</summary>
    public async Task<(CreatedOrganization Org, HttpClient Owner)> OrgWithNumberAsync(string number)
    {
        var org = await App.CreateOrgAsync();
        var owner = App.ClientWithKey(org.OwnerApiKey);
        var response = await owner.PostAsync("/api/numbers", Json($$"""{"number":"{{number}}"}"""));
        response.EnsureSuccessStatusCode();
        return (org, owner);
    }

    /// <summary>Delivers an IncomingCall and returns the call id and the callback URI the app handed to ACS.</summary>
    public async Task<(string CallId, Uri Callback, string ConnectionId)> AnswerIncomingCallAsync(string number, string caller, string serverCallId)
    {
        var connectionId = "conn-" + serverCallId;
        Uri? callback = null;
        Acs.Setup(a => a.AnswerCallAsync(It.Is<AnswerCallRequest>(r => r.IncomingCallContext == "context-" + serverCallId), It.IsAny<CancellationToken>()))
            .Callback<AnswerCallRequest, CancellationToken>((r, _) => callback = r.CallbackUri)
            .ReturnsAsync(new CallConnection(connectionId, serverCallId, "corr"));
        var response = await Webhook().PostAsync("/api/eventgrid/acs", Json(AcsEvents.Batch(AcsEvents.IncomingCall(caller, number, serverCallId))));
        Xunit.Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Xunit.Assert.NotNull(callback);
        var callId = (Acs.Invocations.Last(i => i.Method.Name == nameof(IAcsClient.AnswerCallAsync)).Arguments[0] as AnswerCallRequest)?.OperationContext;
        return (callId!, callback, connectionId);
    }

    /// <summary>Delivers a recording of the call; ACS's mock serves <paramref name="audio"/> for it. Returns the recording's document id.</summary>
    public async Task<string> DeliverRecordingAsync(string serverCallId, byte[] audio)
    {
        var docId = "doc-" + Guid.NewGuid().ToString("N");
        var content = new Uri($"https://us-storage.asm.skype.com/v1/objects/{docId}/content/audio");
        Acs.Setup(a => a.DownloadRecordingAsync(content, It.IsAny<Stream>(), It.IsAny<CancellationToken>()))
            .Returns<Uri, Stream, CancellationToken>((_, s, ct) => s.WriteAsync(audio, ct).AsTask());
        var recording = AcsEvents.RecordingFileStatusUpdated(serverCallId, docId, content, new Uri($"https://us-storage.asm.skype.com/v1/objects/{docId}"));
        var response = await Webhook().PostAsync("/api/eventgrid/acs", Json(AcsEvents.Batch(recording)));
        Xunit.Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return docId;
    }

    public List<SmsRequest> SentSms() =>
        Acs.Invocations.Where(i => i.Method.Name == nameof(IAcsClient.SendSmsAsync)).Select(i => (SmsRequest)i.Arguments[0]!).ToList();

    /// <summary>A Call Automation JWT as ACS would sign it (here with a test key the app trusts).</summary>
    public string AcsJwt(string audience = AcsResourceId, RSA? key = null) => _signer.Jwt(audience, key);

    public void Dispose()
    {
        App.Dispose();
        _signer.Dispose();
    }

    private sealed class AcsMockedApp(TelephonyApp owner, bool inMemoryWorkflows) : HiroiApp
    {
        protected override bool InMemoryWorkflows => inMemoryWorkflows;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Hiroi:EventGrid:WebhookSecret", WebhookSecret);
            builder.UseSetting("Hiroi:EventGrid:WebhookSecretPrevious", PreviousWebhookSecret);
            builder.UseSetting("Hiroi:Calls:CallbackSigningKeys", "c1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            builder.UseSetting("Hiroi:Recordings:KeyEncryptionKeys", RecordingKeys);
            builder.UseSetting("Hiroi:Acs:CallbackAuth:Audience", AcsResourceId);
            builder.UseSetting("Hiroi:Calls:PublicBaseUrl", "https://hiroi.example.net");
            builder.ConfigureTestServices(services =>
            {
                services.Replace(ServiceDescriptor.Singleton(owner.Acs.Object));
                owner._signer.TrustIn(services);
            });
        }
    }
}
