using System.ComponentModel.DataAnnotations;

namespace Hiroi.Server.Workflows;

/// <summary>The self-host's Durable Task engine on Azure Storage (<c>Hiroi:Durable</c>).</summary>
public sealed class DurableEngineOptions
{
    public const string Section = "Hiroi:Durable";

    /// <summary>The task hub (its tables, queues and containers start with it); default: the storage prefix + <c>workflows</c>.</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$")]
    public string? TaskHub { get; set; }

    /// <summary>
    /// How long a message a worker took stays invisible to others: after a crash, its orchestration or activity resumes
    /// this long later. The engine renews it while work runs.
    /// </summary>
    [Range(3, 600)]
    public int QueueVisibilitySeconds { get; set; } = 60;

    /// <summary>The longest pause between polls of idle queues (the engine backs off up to it).</summary>
    [Range(100, 30_000)]
    public int MaxPollMilliseconds { get; set; } = 1000;

    /// <summary>Activities this instance runs at once.</summary>
    [Range(1, 100)]
    public int MaxConcurrentActivities { get; set; } = 10;
}
