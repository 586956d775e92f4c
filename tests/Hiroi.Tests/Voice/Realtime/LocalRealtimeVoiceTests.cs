using Hiroi.Shared.Agents;
using Hiroi.Shared.Voice.Realtime;
using Microsoft.Extensions.Options;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>The local realtime model on its own: it hears speech by frame energy, takes the words from the side channel, and answers as the local chat model.</summary>
public class LocalRealtimeVoiceTests
{
    private static readonly byte[] Silence = new byte[MediaFrames.FrameBytes];

    private readonly LocalSpeechChannel _speech = new();

    private static byte[] Voiced()
    {
        var pcm = new byte[MediaFrames.FrameBytes];
        for (var i = 0; i < pcm.Length / 2; i++)
        {
            var sample = (short)(8000 * Math.Sin(2 * Math.PI * 200 * i / MediaFrames.SampleRate));
            (pcm[2 * i], pcm[(2 * i) + 1]) = ((byte)sample, (byte)(sample >> 8));
        }

        return pcm;
    }

    private LocalRealtimeVoice Model(double speed = 0) =>
        new(_speech, Options.Create(new RealtimeVoiceOptions { LocalGenerationSpeed = speed, LocalMillisecondsPerCharacter = 10 }), TimeProvider.System);

    private static RealtimeSetup Setup(string connection) => new("call_local", connection, "local", "Be brief.", [], AgentVoice.Default);

    [Fact]
    public async Task An_announced_utterance_ends_on_its_last_voiced_frame_with_its_words_then_a_response_speaks_the_reply()
    {
        await using var session = await Model().OpenAsync(Setup("conn-1"), CancellationToken.None);
        _speech.Announce("conn-1", new LocalUtterance("What are your hours?", 3));
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var events = session.EventsAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        await session.SendAudioAsync(Silence, stop.Token);
        for (var i = 0; i < 3; i++)
        {
            await session.SendAudioAsync(Voiced(), stop.Token);
        }

        Assert.IsType<RealtimeEvent.SpeechStarted>(await NextAsync(events));
        Assert.Equal("What are your hours?", Assert.IsType<RealtimeEvent.CallerTranscript>(await NextAsync(events)).Text);
        Assert.IsType<RealtimeEvent.SpeechEnded>(await NextAsync(events));

        await session.RespondAsync(stop.Token);
        Assert.IsType<RealtimeEvent.ResponseStarted>(await NextAsync(events));
        var text = Assert.IsType<RealtimeEvent.AgentText>(await NextAsync(events));
        Assert.Equal("Thanks for your message. You said: What are your hours?", text.Delta);
        long bytes = 0;
        RealtimeEvent next;
        while ((next = await NextAsync(events)) is RealtimeEvent.AgentAudio audio)
        {
            bytes += audio.Pcm.Length;
        }

        var done = Assert.IsType<RealtimeEvent.ResponseDone>(next);
        Assert.False(done.Cancelled);
        Assert.Equal(text.Delta.Length * 10 * 48, bytes);
        Assert.Equal((text.Delta.Length * 10) / 50, done.Usage.OutputAudioTokens);
    }

    private static async Task<RealtimeEvent> NextAsync(IAsyncEnumerator<RealtimeEvent> events)
    {
        Assert.True(await events.MoveNextAsync());
        return events.Current;
    }
}
