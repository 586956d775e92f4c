using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.HandOffs;

/// <summary>Section <c>Hiroi:HandOffs</c>: how the self-host drains the hand-off queues (the Functions app's queue trigger reads host.json).</summary>
public sealed class HandOffOptions
{
    public const string Section = "Hiroi:HandOffs";

    /// <summary>Whether this process drains the queues. Off, work waits in its queue for a process that does (a test turns it off to crash in between).</summary>
    public bool Drain { get; set; } = true;

    /// <summary>How long a received message stays hidden from other readers; a reader that dies gives it back after this.</summary>
    [Range(2, 600)]
    public int VisibilitySeconds { get; set; } = 30;

    /// <summary>Deliveries after which a message that keeps failing goes to the poison queue (host.json's queues:maxDequeueCount says the same).</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How often an idle queue is polled when no request of this process has just queued work.</summary>
    [Range(50, 60_000)]
    public int PollMilliseconds { get; set; } = 1000;
}
