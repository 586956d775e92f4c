using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Hiroi.Endpoints.Problems;
using Hiroi.Endpoints.Telephony;
using Hiroi.Shared;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Events;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.Telephony;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// The simulated ACS REST API (the paths and bodies <c>AcsRestClient</c> uses) plus a few <c>/simulate/...</c> triggers a
/// developer uses to play the customer: send an SMS reply, place an incoming call. Every ACS path checks the HMAC
/// signature with the configured access key, as ACS does.
/// </summary>
public static class AcsSimulatorApi
{
    public static IServiceCollection AddAcsSimulator(this IServiceCollection services)
    {
        services.AddSection<AcsSimulatorOptions>(AcsSimulatorOptions.Section);
        services.AddOptions<AcsCallbackAuthOptionsView>().BindConfiguration("Hiroi:Acs:CallbackAuth");
        services.AddSingleton<SimulatorStore>();
        services.AddSingleton<SimulatorSigningKey>();
        services.AddSingleton<SimulatorOutbox>();
        services.AddSingleton<SimulatedCalls>();
        services.AddSingleton<SimulatorLatencies>();
        services.AddSingleton<SimulatorFaults>();
        services.AddSingleton<SimulatedMediaStreams>();
        services.AddHostedService(sp => sp.GetRequiredService<SimulatorOutbox>());
        services.AddHostedService(sp => sp.GetRequiredService<SimulatedMediaStreams>());
        services.AddHttpClient(SimulatorOutbox.HttpClientName);
        return services;
    }

    public static IEndpointRouteBuilder MapAcsSimulator(this IEndpointRouteBuilder app)
    {
        // The simulator stands in for ACS, outside the platform: the platform's rate limits are not its to apply.
        var acs = app.MapGroup("").AllowAnonymous().DisableRateLimiting().WithTags("ACS simulator").AddEndpointFilter(VerifySignatureAsync);
        acs.MapPost("/sms", SendSmsAsync).AddEndpointFilterFactory((_, next) => SimulatorFaults.Filter("sms", next));
        acs.MapPost("/emails:send", SendEmailAsync).AddEndpointFilterFactory((_, next) => SimulatorFaults.Filter("email", next));
        acs.MapPost("/calling/callConnections", CreateCallAsync).AddEndpointFilterFactory((_, next) => SimulatorFaults.Filter("call", next));
        acs.MapPost("/calling/callConnections:answer", AnswerAsync);
        acs.MapPost("/calling/callConnections:reject", () => TypedResults.NoContent());
        acs.MapPost("/calling/callConnections/{id}:terminate", TerminateAsync);
        acs.MapPost("/calling/callConnections/{id}:recognize", RecognizeAsync);
        acs.MapPost("/calling/callConnections/{id}:play", PlayAsync);
        acs.MapPost("/calling/callConnections/{id}:cancelAllMediaOperations", CancelAllAsync);
        acs.MapPost("/calling/callConnections/{id}:transferToParticipant", TransferAsync);
        acs.MapPost("/calling/recordings", StartRecordingAsync);
        acs.MapGet("/recordings/{documentId}/content", DownloadAsync);
        acs.MapDelete("/recordings/{documentId}", DeleteAsync);

        var open = app.MapGroup("").AllowAnonymous().DisableRateLimiting().WithTags("ACS simulator");
        open.MapGet("/calling/.well-known/acsopenidconfiguration", (HttpRequest r) => TypedResults.Ok(new
        {
            issuer = Hiroi.Shared.Security.AcsCallbackJwtValidator.Issuer,
            jwks_uri = $"{r.Scheme}://{r.Host}/calling/keys",
        }));
        open.MapGet("/calling/keys", (SimulatorSigningKey key) => TypedResults.Ok(key.Jwks()));
        open.MapPost("/simulate/sms", SimulateSmsAsync);
        open.MapPost("/simulate/incoming-call", SimulateIncomingCall);
        open.MapGet("/simulate/sent-sms", async (SimulatorStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync("sms", ct)));
        open.MapGet("/simulate/sent-email", async (SimulatorStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync("email", ct)));
        open.MapSimulatedCaller();
        open.MapGet("/simulate/faults/{operation}", (string operation, SimulatorFaults faults) => TypedResults.Ok(faults.Log(operation)));
        open.MapGet("/simulate/latencies", (bool? reset, SimulatorLatencies latencies) => TypedResults.Ok(latencies.Snapshot(reset ?? false)));
        return app;
    }

    private static async ValueTask<object?> VerifySignatureAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        request.EnableBuffering();
        var body = (await RequestBodies.ReadLimitedAsync(request, EventGridApi.MaxDeliveryBytes, context.HttpContext.RequestAborted))?.ToArray() ?? [];
        request.Body.Position = 0;
        var key = await context.HttpContext.RequestServices.GetRequiredService<ISecretStore>().GetAsync(AcsOptions.AccessKeySecretName, context.HttpContext.RequestAborted);
        var target = context.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : request.Path + request.QueryString;
        var host = request.Headers[AcsHmac.HostHeader].FirstOrDefault() ?? request.Host.Value ?? string.Empty;
        if (string.IsNullOrEmpty(key) || !AcsHmac.Verify(request.Method, target, host, request.Headers[AcsHmac.DateHeader], request.Headers[AcsHmac.ContentHashHeader],
            request.Headers.Authorization, body, key))
        {
            return TypedResults.Problem(statusCode: 401, title: "Unauthorized", detail: "HMAC signature does not match.");
        }

        return await next(context);
    }

    private static async Task<IResult> SendSmsAsync(HttpRequest request, SimulatorStore store, SimulatorOutbox outbox, CancellationToken ct)
    {
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var root = body.RootElement;
        var from = root.GetProperty("from").GetString()!;
        var tag = root.TryGetProperty("smsSendOptions", out var o) && o.TryGetProperty("tag", out var t) ? t.GetString() : null;
        var results = new List<object>();
        foreach (var recipient in root.GetProperty("smsRecipients").EnumerateArray())
        {
            var to = recipient.GetProperty("to").GetString()!;
            var repeatability = recipient.TryGetProperty("repeatabilityRequestId", out var r) ? r.GetString()! : Guid.NewGuid().ToString();
            var (record, isNew) = await store.RecordOnceAsync("sms", repeatability,
                () => new SimulatedRecord { From = from, To = to, Tag = tag, MessageId = "Outgoing_" + Guid.NewGuid().ToString("N") }, ct);
            if (isNew)
            {
                await outbox.PostEventAsync(GridEvent("Microsoft.Communication.SMSDeliveryReportReceived", "/phonenumber/" + from.TrimStart('+'), new
                {
                    messageId = record.MessageId, from, to, deliveryStatus = "Delivered", deliveryStatusDetails = "No error.",
                    receivedTimestamp = DateTimeOffset.UtcNow,
                    deliveryAttempts = new[] { new { timestamp = DateTimeOffset.UtcNow, segmentsSucceeded = 1, segmentsFailed = 0 } }, tag,
                }), cancellationToken: ct);
            }

            results.Add(new { to, messageId = record.MessageId, httpStatusCode = 202, repeatabilityResult = "accepted", successful = true });
        }

        return TypedResults.Json(new { value = results }, statusCode: 202);
    }

    /// <summary>ACS Email's send: recorded once per repeatability id, answered 202 with an operation id as ACS does.</summary>
    private static async Task<IResult> SendEmailAsync(HttpRequest request, SimulatorStore store, CancellationToken ct)
    {
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var root = body.RootElement;
        var content = root.GetProperty("content");
        var repeatability = request.Headers["Repeatability-Request-ID"].FirstOrDefault() ?? Guid.NewGuid().ToString();
        var (record, _) = await store.RecordOnceAsync("email", repeatability, () => new SimulatedRecord
        {
            From = root.GetProperty("senderAddress").GetString(),
            To = root.GetProperty("recipients").GetProperty("to")[0].GetProperty("address").GetString(),
            Subject = content.GetProperty("subject").GetString(),
            Text = content.TryGetProperty("plainText", out var text) ? text.GetString() : null,
            MessageId = Guid.NewGuid().ToString("D"),
        }, ct);
        return TypedResults.Json(new { id = record.MessageId, status = "Running" }, statusCode: 202);
    }

    private static async Task<IResult> CreateCallAsync(HttpRequest request, SimulatorStore store, SimulatorOutbox outbox, IOptions<AcsSimulatorOptions> options,
        CancellationToken ct)
    {
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var root = body.RootElement;
        var to = root.GetProperty("targets")[0].GetProperty("phoneNumber").GetProperty("value").GetString();
        var repeatability = request.Headers["Repeatability-Request-ID"].FirstOrDefault() ?? Guid.NewGuid().ToString();
        var (record, isNew) = await store.RecordOnceAsync("call", repeatability, () => new SimulatedRecord
        {
            From = root.GetProperty("sourceCallerIdNumber").GetProperty("value").GetString(), To = to,
            CallbackUri = root.GetProperty("callbackUri").GetString(), CallConnectionId = ConnectionPrefix + repeatability,
            ServerCallId = "sim-srv-" + Guid.NewGuid().ToString("N"), State = "connecting", Conversational = root.TryGetProperty("callIntelligenceOptions", out _),
        }, ct);
        if (isNew)
        {
            await ConnectAsync(record, store, outbox, options.Value, ct);
        }

        return TypedResults.Json(new { callConnectionId = record.CallConnectionId, serverCallId = record.ServerCallId, correlationId = record.RowKey }, statusCode: 201);
    }

    private static async Task<IResult> AnswerAsync(
        HttpRequest request, SimulatorStore store, SimulatorOutbox outbox, SimulatorLatencies latencies, SimulatedMediaStreams streams,
        IOptions<AcsSimulatorOptions> options, CancellationToken ct)
    {
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var context = body.RootElement.GetProperty("incomingCallContext").GetString()!;
        latencies.Answered("incoming:" + context, "answer");
        var ringing = await store.FindAsync("incoming", context, ct);
        if (ringing is null || ringing.State != "ringing")
        {
            return TypedResults.Problem(statusCode: 400, title: "Bad request", detail: "The call is not ringing.");
        }

        ringing.State = "answered";
        ringing.CallbackUri = body.RootElement.GetProperty("callbackUri").GetString();
        await store.SaveAsync(ringing, ct);
        var call = new SimulatedRecord
        {
            PartitionKey = "call", RowKey = ringing.RowKey, From = ringing.From, To = ringing.To, CallbackUri = ringing.CallbackUri,
            CallConnectionId = ringing.CallConnectionId, ServerCallId = ringing.ServerCallId, Requests = 1,
            // An agent talks on a call answered with speech or with its media streamed (realtime): it lasts until someone hangs up.
            Conversational = body.RootElement.TryGetProperty("callIntelligenceOptions", out _) || body.RootElement.TryGetProperty("mediaStreamingOptions", out _),
            SpeakingMillisecondsPerCharacter = ringing.SpeakingMillisecondsPerCharacter,
        };
        await ConnectAsync(call, store, outbox, options.Value, ct);
        if (body.RootElement.TryGetProperty("mediaStreamingOptions", out var media) && Text(media, "transportUrl") is { } transport)
        {
            // Bidirectional media streaming: ACS opens the socket to the transport URL once the call connects.
            streams.Start(call.RowKey, call.CallConnectionId!, new Uri(transport), readsAudio: !ringing.IgnoresAgentAudio);
        }

        return TypedResults.Ok(new { callConnectionId = call.CallConnectionId, serverCallId = call.ServerCallId, correlationId = call.RowKey });
    }

    /// <summary>
    /// The call connects after a moment. A call answered with speech (an agent talks on it) lasts until someone hangs
    /// up; any other hangs up by itself after the configured duration.
    /// </summary>
    private static async Task ConnectAsync(SimulatedRecord call, SimulatorStore store, SimulatorOutbox outbox, AcsSimulatorOptions options, CancellationToken ct)
    {
        call.State = "connected";
        await store.SaveAsync(call, ct);
        var callback = new Uri(call.CallbackUri!);
        await outbox.PostCallbackAsync(callback, CallEvent("CallConnected", call), cancellationToken: ct);
        if (!call.Conversational)
        {
            await outbox.PostCallbackAsync(callback, CallEvent("CallDisconnected", call), options.EventDelayMilliseconds + options.CallDurationMilliseconds, cancellationToken: ct);
        }
    }

    private static async Task<IResult> TerminateAsync(string id, SimulatorStore store, SimulatedCalls calls, SimulatorOutbox outbox, CancellationToken ct)
    {
        var call = await CallAsync(id, store, ct);
        if (call is null)
        {
            return TypedResults.NotFound();
        }

        if (call.Conversational)
        {
            await calls.EndAsync(call.RowKey, "ended", ct);
        }
        else
        {
            await outbox.PostCallbackAsync(new Uri(call.CallbackUri!), CallEvent("CallDisconnected", call), cancellationToken: ct);
        }

        return TypedResults.NoContent();
    }

    private static async Task<IResult> RecognizeAsync(
        string id, HttpRequest request, SimulatorStore store, SimulatedCalls calls, SimulatorLatencies latencies, CancellationToken ct)
    {
        // The platform's answer to the caller's words has arrived: measured before the simulator does anything with it.
        latencies.Answered("reply:" + id[Math.Min(id.Length, ConnectionPrefix.Length)..], "reply");
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var root = body.RootElement;
        var options = root.GetProperty("recognizeOptions");
        options.GetProperty("targetParticipant"); // required, as ACS requires it
        var operation = new SimulatedOperation
        {
            Kind = "recognize", Context = Text(root, "operationContext"), Prompts = Prompts(root, "playPrompts", "playPrompt"),
            InterruptPrompt = options.TryGetProperty("interruptPrompt", out var interrupt) && interrupt.GetBoolean(),
        };
        return await MediaAsync(id, operation, root, store, calls, ct);
    }

    private static async Task<IResult> PlayAsync(string id, HttpRequest request, SimulatorStore store, SimulatedCalls calls, CancellationToken ct)
    {
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var root = body.RootElement;
        var operation = new SimulatedOperation { Kind = "play", Context = Text(root, "operationContext"), Prompts = Prompts(root, "playSources", null) };
        return await MediaAsync(id, operation, root, store, calls, ct);
    }

    /// <summary>Queues a media operation, as ACS answers it: 202, or 404 for a call that is not up.</summary>
    private static async Task<IResult> MediaAsync(string id, SimulatedOperation operation, JsonElement root, SimulatorStore store, SimulatedCalls calls, CancellationToken ct)
    {
        var interrupt = root.TryGetProperty("interruptCallMediaOperation", out var i) && i.GetBoolean();
        return await CallAsync(id, store, ct) is { } call && await calls.EnqueueAsync(call.RowKey, operation, interrupt, ct)
            ? TypedResults.Accepted((string?)null)
            : TypedResults.Problem(statusCode: 404, title: "Not found", detail: "The call is not connected.");
    }

    private static async Task<IResult> CancelAllAsync(string id, SimulatorStore store, SimulatedCalls calls, CancellationToken ct) =>
        await CallAsync(id, store, ct) is { } call && await calls.CancelAllAsync(call.RowKey, ct)
            ? TypedResults.Accepted((string?)null)
            : TypedResults.Problem(statusCode: 404, title: "Not found", detail: "The call is not connected.");

    private static async Task<IResult> TransferAsync(
        string id, HttpRequest request, SimulatorStore store, SimulatedCalls calls, IOptions<AcsSimulatorOptions> options, CancellationToken ct)
    {
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var root = body.RootElement;
        var target = root.GetProperty("targetParticipant").GetProperty("phoneNumber").GetProperty("value").GetString()!;
        var context = Text(root, "operationContext");
        return await CallAsync(id, store, ct) is { } call && await calls.TransferAsync(call.RowKey, target, context, !options.Value.UnreachableNumbers.Contains(target), ct)
            ? TypedResults.Accepted((string?)null, new { operationContext = context })
            : TypedResults.Problem(statusCode: 404, title: "Not found", detail: "The call is not connected.");
    }

    /// <summary>A call by ACS's call connection id.</summary>
    private static async Task<SimulatedRecord?> CallAsync(string connectionId, SimulatorStore store, CancellationToken ct) =>
        connectionId.StartsWith(ConnectionPrefix, StringComparison.Ordinal) && connectionId.Length > ConnectionPrefix.Length
            ? await store.FindAsync("call", connectionId[ConnectionPrefix.Length..], ct)
            : null;

    /// <summary>A call connection id names the simulated call's record, so a request finds its call with one read.</summary>
    private const string ConnectionPrefix = "sim-conn-";

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The text of each play source (<paramref name="listName"/>, or the single <paramref name="singleName"/>).</summary>
    private static List<string> Prompts(JsonElement root, string listName, string? singleName)
    {
        var sources = root.TryGetProperty(listName, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList()
            : singleName is not null && root.TryGetProperty(singleName, out var one) ? [one] : [];
        return [.. sources.Select(source => source.GetProperty("text").GetProperty("text").GetString() ?? string.Empty)];
    }

    private static async Task<IResult> StartRecordingAsync(HttpRequest request, SimulatorStore store, SimulatorOutbox outbox, CancellationToken ct)
    {
        using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        var serverCallId = body.RootElement.GetProperty("callLocator").GetProperty("serverCallId").GetString()!;
        var documentId = "simdoc" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await store.SaveAsync(new SimulatedRecord { PartitionKey = "recording", RowKey = documentId, ServerCallId = serverCallId, State = "stored" }, ct);
        var origin = $"{request.Scheme}://{request.Host}";
        await outbox.PostEventAsync(GridEvent("Microsoft.Communication.RecordingFileStatusUpdated", $"/recording/call/sim/serverCallId/{serverCallId}/recordingId/{documentId}", new
        {
            recordingStorageInfo = new
            {
                recordingChunks = new[]
                {
                    new
                    {
                        documentId, index = 0, endReason = "SessionEnded", contentLocation = $"{origin}/recordings/{documentId}/content",
                        metadataLocation = $"{origin}/recordings/{documentId}/metadata", deleteLocation = $"{origin}/recordings/{documentId}",
                    },
                },
            },
            recordingStartTime = DateTimeOffset.UtcNow, recordingDurationMs = 3000, sessionEndReason = "CallEnded",
        }), 1500, cancellationToken: ct);
        return TypedResults.Ok(new { recordingId = documentId, recordingState = "active" });
    }

    private static async Task<IResult> DownloadAsync(string documentId, SimulatorStore store, CancellationToken ct)
    {
        var recording = await store.FindAsync("recording", documentId, ct);
        return recording is null || recording.Deleted ? TypedResults.NotFound() : TypedResults.Bytes(SilentWav(documentId), "audio/wav");
    }

    private static async Task<IResult> DeleteAsync(string documentId, SimulatorStore store, CancellationToken ct)
    {
        var recording = await store.FindAsync("recording", documentId, ct);
        if (recording is null || recording.Deleted)
        {
            return TypedResults.NotFound();
        }

        recording.Deleted = true;
        await store.SaveAsync(recording, ct);
        return TypedResults.Ok();
    }

    public sealed record SimulatedSms(string? From, string? To, string? Message);

    /// <summary>Plays the customer: an SMS from <c>from</c> to one of our numbers.</summary>
    private static async Task<IResult> SimulateSmsAsync(SimulatedSms sms, SimulatorOutbox outbox, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(E164.TryNormalize(sms.From, out _), "from", "must be an E.164 number")
            .Require(E164.TryNormalize(sms.To, out _), "to", "must be an E.164 number")
            .Require(sms.Message is { Length: <= EventFields.MaxSmsText }, "message", $"is required, at most {EventFields.MaxSmsText} characters");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var messageId = "Incoming_" + Guid.NewGuid().ToString("N");
        await outbox.PostEventAsync(GridEvent("Microsoft.Communication.SMSReceived", "/phonenumber/" + sms.To!.TrimStart('+'), new
        {
            messageId, from = sms.From, to = sms.To, message = sms.Message, receivedTimestamp = DateTimeOffset.UtcNow, segmentCount = 1,
        }), 0, cancellationToken: ct);
        return TypedResults.Accepted((string?)null, new { messageId });
    }

    /// <param name="SpeakingMillisecondsPerCharacter">How long the caller takes to hear each character of a prompt (0: at once), so they can talk over one.</param>
    /// <param name="IgnoresAgentAudio">A streamed call whose end never reads what the platform sends (to try the platform's bounds).</param>
    public sealed record SimulatedCall(string? From, string? To, int? SpeakingMillisecondsPerCharacter = null, bool IgnoresAgentAudio = false);

    /// <summary>Plays the customer: a phone call from <c>from</c> to one of our numbers.</summary>
    private static async Task<IResult> SimulateIncomingCall(SimulatedCall call, SimulatorStore store, SimulatorOutbox outbox, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(E164.TryNormalize(call.From, out _), "from", "must be an E.164 number")
            .Require(E164.TryNormalize(call.To, out _), "to", "must be an E.164 number")
            .Require(call.SpeakingMillisecondsPerCharacter is null or (>= 0 and <= 1000), "speakingMillisecondsPerCharacter", "must be 0 to 1000");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var context = "simctx" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var record = new SimulatedRecord
        {
            PartitionKey = "incoming", RowKey = context, From = call.From, To = call.To, State = "ringing",
            CallConnectionId = ConnectionPrefix + context, ServerCallId = "sim-srv-" + Guid.NewGuid().ToString("N"),
            SpeakingMillisecondsPerCharacter = call.SpeakingMillisecondsPerCharacter ?? 0, IgnoresAgentAudio = call.IgnoresAgentAudio,
        };
        await store.SaveAsync(record, ct);
        await outbox.PostEventAsync(GridEvent("Microsoft.Communication.IncomingCall", $"/caller/4:{call.From}/recipient/4:{call.To}", new
        {
            to = new { kind = "phoneNumber", rawId = "4:" + call.To, phoneNumber = new { value = call.To } },
            from = new { kind = "phoneNumber", rawId = "4:" + call.From, phoneNumber = new { value = call.From } },
            serverCallId = record.ServerCallId, callerDisplayName = "", incomingCallContext = context, correlationId = Guid.NewGuid(),
        }), 0, "incoming:" + context, ct);
        return TypedResults.Accepted($"/simulate/calls/{context}", new { call = context, serverCallId = record.ServerCallId });
    }

    private static object GridEvent(string type, string subject, object data) => new
    {
        id = Guid.NewGuid().ToString(),
        topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Communication/CommunicationServices/simulator",
        subject,
        data,
        eventType = type,
        dataVersion = "1.0",
        metadataVersion = "1",
        eventTime = DateTimeOffset.UtcNow,
    };

    /// <summary>A Call Automation callback as ACS sends it: a CloudEvent whose data carries the call's ids, the operation context and the event's own fields.</summary>
    internal static object CallEvent(string type, SimulatedRecord call, string? operationContext = null, object? extra = null)
    {
        var data = new Dictionary<string, object?>
        {
            ["callConnectionId"] = call.CallConnectionId, ["serverCallId"] = call.ServerCallId, ["correlationId"] = call.RowKey, ["operationContext"] = operationContext,
        };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                data[property.Name] = property.Value;
            }
        }

        return new
        {
            specversion = "1.0",
            id = Guid.NewGuid().ToString(),
            source = "calling/callConnections/" + call.CallConnectionId,
            type = "Microsoft.Communication." + type,
            time = DateTimeOffset.UtcNow,
            datacontenttype = "application/json",
            data,
        };
    }

    /// <summary>A short silent WAV, different per document so tests can tell recordings apart.</summary>
    private static byte[] SilentWav(string documentId)
    {
        var samples = 8000 + (documentId.GetHashCode(StringComparison.Ordinal) & 0xFF);
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("RIFF"u8);
        writer.Write(36 + samples * 2);
        writer.Write("WAVEfmt "u8);
        writer.Write(16);
        writer.Write((short)1);
        writer.Write((short)1);
        writer.Write(8000);
        writer.Write(16000);
        writer.Write((short)2);
        writer.Write((short)16);
        writer.Write("data"u8);
        writer.Write(samples * 2);
        writer.Write(new byte[samples * 2]);
        writer.Flush();
        return stream.ToArray();
    }
}
