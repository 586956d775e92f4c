using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Voice.Realtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>
/// Azure OpenAI's realtime model through the OpenAI library, against a local stand-in for the service's WebSocket (the
/// network edge; Entra is a fixed token): what the session is told, the commands the bridge sends, and how the
/// service's events read back.
/// </summary>
public sealed class AzureRealtimeVoiceTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<JsonElement> _received = new();
    private readonly ConcurrentQueue<string> _headers = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private WebApplication? _service;
    private WebSocket? _socket;
    private readonly TaskCompletionSource<WebSocket> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _service = builder.Build();
        _service.UseWebSockets();
        _service.Map("/openai/v1/realtime", async context =>
        {
            _headers.Enqueue($"{context.Request.Headers.Authorization} {context.Request.QueryString}");
            var socket = await context.WebSockets.AcceptWebSocketAsync("realtime");
            _connected.SetResult(socket);
            var buffer = new byte[1 << 20];
            while (socket.State == WebSocketState.Open)
            {
                var count = 0;
                ValueWebSocketReceiveResult read;
                do
                {
                    read = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += read.Count;
                }
                while (!read.EndOfMessage);

                if (read.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                _received.Enqueue(JsonDocument.Parse(buffer.AsMemory(0, count)).RootElement.Clone());
                _arrived.Release();
            }
        });
        await _service.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        _arrived.Dispose();
    }

    private AzureRealtimeVoice Voice() => new(
        Options.Create(new AiOptions { Provider = AiProvider.AzureOpenAI, Endpoint = new Uri(_service!.Urls.First() + "/") }),
        Options.Create(new RealtimeVoiceOptions { ModelVoice = "marin", EndOfSpeechSilenceMilliseconds = 450, MaxOutputTokens = 900 }),
        new FixedToken("entra-token-for-tests"));

    private async Task<JsonElement> NextAsync(string type)
    {
        while (true)
        {
            Assert.True(await _arrived.WaitAsync(TimeSpan.FromMinutes(1)), "the service to receive " + type);
            Assert.True(_received.TryDequeue(out var message));
            if (message.GetProperty("type").GetString() == type)
            {
                return message;
            }
        }
    }

    private async Task SendAsync(string json) =>
        await (_socket ??= await _connected.Task).SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task The_session_is_the_agents_with_its_tools_24_khz_audio_transcription_and_vad_that_never_answers_by_itself()
    {
        var lookup = AIFunctionFactory.Create((string orderId) => orderId, "lookup", "Looks up an order");
        await using var session = await Voice().OpenAsync(new RealtimeSetup("call_1", "conn_1", "gpt-realtime", "Be brief.", [lookup], AgentVoice.Default), CancellationToken.None);

        var update = (await NextAsync("session.update")).GetProperty("session");

        Assert.Equal("Bearer entra-token-for-tests ?model=gpt-realtime", Assert.Single(_headers));
        Assert.Equal("Be brief.", update.GetProperty("instructions").GetString());
        Assert.Equal(900, update.GetProperty("max_output_tokens").GetInt32());
        var input = update.GetProperty("audio").GetProperty("input");
        Assert.Equal(24000, input.GetProperty("format").GetProperty("rate").GetInt32());
        Assert.Equal("whisper-1", input.GetProperty("transcription").GetProperty("model").GetString());
        var vad = input.GetProperty("turn_detection");
        Assert.Equal("server_vad", vad.GetProperty("type").GetString());
        Assert.Equal(450, vad.GetProperty("silence_duration_ms").GetInt32());
        Assert.False(vad.GetProperty("create_response").GetBoolean());
        Assert.False(vad.GetProperty("interrupt_response").GetBoolean());
        Assert.Equal("marin", update.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
        var tool = Assert.Single(update.GetProperty("tools").EnumerateArray());
        Assert.Equal("lookup", tool.GetProperty("name").GetString());
        Assert.Equal("string", tool.GetProperty("parameters").GetProperty("properties").GetProperty("orderId").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Commands_go_out_as_the_realtime_protocol_and_the_services_events_read_back_as_the_bridge_needs_them()
    {
        await using var session = await Voice().OpenAsync(new RealtimeSetup("call_2", null, "gpt-realtime", "Be brief.", [], AgentVoice.Default), CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var events = session.EventsAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        await NextAsync("session.update");

        await session.SendAudioAsync(new byte[] { 1, 0, 2, 0 }, stop.Token);
        Assert.Equal(Convert.ToBase64String([1, 0, 2, 0]), (await NextAsync("input_audio_buffer.append")).GetProperty("audio").GetString());
        await session.RespondAsync(stop.Token);
        await NextAsync("response.create");
        await session.CancelResponseAsync(stop.Token);
        await NextAsync("response.cancel");
        await session.TruncateAsync("item_9", TimeSpan.FromMilliseconds(1234), stop.Token);
        var truncate = await NextAsync("conversation.item.truncate");
        Assert.Equal(("item_9", 0, 1234),
            (truncate.GetProperty("item_id").GetString(), truncate.GetProperty("content_index").GetInt32(), truncate.GetProperty("audio_end_ms").GetInt32()));
        await session.AddToolResultAsync("call_7", "{\"status\":200}", stop.Token);
        var output = (await NextAsync("conversation.item.create")).GetProperty("item");
        Assert.Equal(("function_call_output", "call_7"), (output.GetProperty("type").GetString(), output.GetProperty("call_id").GetString()));

        await SendAsync("""{"type":"input_audio_buffer.speech_started","event_id":"e1","audio_start_ms":10,"item_id":"item_1"}""");
        await SendAsync("""{"type":"input_audio_buffer.committed","event_id":"e2","previous_item_id":null,"item_id":"item_1"}""");
        await SendAsync("""{"type":"conversation.item.input_audio_transcription.completed","event_id":"e3","item_id":"item_1","content_index":"""
            + """0,"transcript":"Where is my order?"}""");
        await SendAsync("""{"type":"response.created","event_id":"e4","response":{"object":"realtime.response","id":"resp_1","status":"in_progress","output":[]}}""");
        await SendAsync("""{"type":"response.output_audio.delta","event_id":"e5","response_id":"resp_1","item_id":"item_2","output_index":"""
            + """0,"content_index":0,"delta":"AQACAA=="}""");
        await SendAsync("""{"type":"response.output_audio_transcript.delta","event_id":"e6","response_id":"resp_1","item_id":"item_2","output_index":"""
            + """0,"content_index":0,"delta":"It shipped."}""");
        await SendAsync("""{"type":"response.function_call_arguments.done","event_id":"e7","response_id":"resp_1","item_id":"item_3","output_index":"""
            + """1,"call_id":"call_8","name":"lookup","arguments":"{\"orderId\":\"A-1\"}"}""");
        await SendAsync("""{"type":"response.done","event_id":"e8","response":{"object":"realtime.response","id":"resp_1","status":"cancelled","output":"""
            + """[],"usage":{"total_tokens":300,"input_tokens":200,"output_tokens":"""
            + """100,"input_token_details":{"text_tokens":50,"audio_tokens":150,"cached_tokens":60},"output_token_details":{"text_tokens":20,"audio_tokens":80}}}}""");

        Assert.IsType<RealtimeEvent.SpeechStarted>(await Next(events));
        Assert.Equal(new RealtimeEvent.SpeechEnded("item_1"), await Next(events));
        Assert.Equal(new RealtimeEvent.CallerTranscript("item_1", "Where is my order?"), await Next(events));
        Assert.Equal(new RealtimeEvent.ResponseStarted("resp_1"), await Next(events));
        var audio = Assert.IsType<RealtimeEvent.AgentAudio>(await Next(events));
        Assert.Equal(("resp_1", "item_2"), (audio.ResponseId, audio.ItemId));
        Assert.Equal([1, 0, 2, 0], audio.Pcm.ToArray());
        Assert.Equal(new RealtimeEvent.AgentText("resp_1", "item_2", "It shipped."), await Next(events));
        Assert.Equal(new RealtimeEvent.ToolCall("resp_1", "call_8", "lookup", "{\"orderId\":\"A-1\"}"), await Next(events));
        var done = Assert.IsType<RealtimeEvent.ResponseDone>(await Next(events));
        Assert.True(done.Cancelled);
        // Cached tokens are part of the input counts: charged once, at the cached price.
        Assert.Equal(new RealtimeUsage(InputTextTokens: 0, InputAudioTokens: 140, CachedInputTokens: 60, OutputTextTokens: 20, OutputAudioTokens: 80), done.Usage);
    }

    private static async Task<RealtimeEvent> Next(IAsyncEnumerator<RealtimeEvent> events)
    {
        Assert.True(await events.MoveNextAsync());
        return events.Current;
    }

    private sealed class FixedToken(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
