using System.ComponentModel.DataAnnotations;
using NCrontab;

namespace Hiroi.Durable.Workflows;

/// <summary>When the daily retention sweep starts (<c>Hiroi:RetentionSweep</c>), read by both hosts' timers.</summary>
public sealed class RetentionSweepOptions : IValidatableObject
{
    public const string Section = "Hiroi:RetentionSweep";

    /// <summary>False stops this instance's timer (the self-host's; the Functions timer is turned off in the portal).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// An NCRONTAB expression with seconds, as an Azure Functions TimerTrigger reads it (the Functions app binds its timer
    /// to this setting): the first occurrence of each UTC day starts that day's sweep.
    /// </summary>
    public string Schedule { get; set; } = "0 0 3 * * *";

    /// <summary>How long the history of a finished workflow is kept (ids and outcomes only); the day's sweep start purges older ones.</summary>
    [Range(1, 3650)]
    public int WorkflowHistoryDays { get; set; } = 30;

    /// <summary>How often the self-host's timer looks at the clock and for pending org purges.</summary>
    [Range(1, 3600)]
    public int CheckSeconds { get; set; } = 60;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetentionSchedule.TryParse(Schedule) is null)
        {
            yield return new ValidationResult("must be an NCRONTAB expression with seconds, such as '0 0 3 * * *'", [nameof(Schedule)]);
        }
    }
}

/// <summary>The sweep's schedule: a day's run is due once the day's first occurrence has passed.</summary>
public sealed class RetentionSchedule(string expression)
{
    private readonly CrontabSchedule _schedule = TryParse(expression) ?? throw new ArgumentException("Not an NCRONTAB expression with seconds.", nameof(expression));

    public static CrontabSchedule? TryParse(string? expression) =>
        expression is null ? null : CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    /// <summary>Whether the run of <paramref name="now"/>'s UTC day is due: the schedule has fired today by now.</summary>
    public bool IsDue(DateTimeOffset now)
    {
        var day = now.UtcDateTime.Date;
        var first = _schedule.GetNextOccurrence(day.AddTicks(-1), day.AddDays(1));
        return first < day.AddDays(1) && first <= now.UtcDateTime;
    }
}
