using System.ComponentModel.DataAnnotations;

namespace Hiroi.Server.AcsSimulator;

/// <summary>
/// Section <c>Hiroi:AcsSimulator</c>: a stand-in for Azure Communication Services for local runs and tests, served by the
/// self-host itself on the ACS REST paths. Never enable it in a deployment.
/// </summary>
public sealed class AcsSimulatorOptions
{
    public const string Section = "Hiroi:AcsSimulator";

    public bool Enabled { get; set; }

    /// <summary>Where the simulator posts Event Grid events (our webhook).</summary>
    [Url]
    public string WebhookUrl { get; set; } = "http://localhost:7071/api/eventgrid/acs";

    /// <summary>Delay before a simulated delivery report or call event, as a real network would have.</summary>
    [Range(0, 60_000)]
    public int EventDelayMilliseconds { get; set; } = 200;

    /// <summary>How long a simulated call lasts before it hangs up by itself.</summary>
    [Range(100, 600_000)]
    public int CallDurationMilliseconds { get; set; } = 3000;

    /// <summary>How many times each Call Automation callback is delivered (above one: shuffled, as at-least-once delivery may).</summary>
    [Range(1, 5)]
    public int CallbackCopies { get; set; } = 1;

    /// <summary>With several copies, the most a copy is held back, so copies and callbacks overtake one another.</summary>
    [Range(0, 5000)]
    public int ShuffleMilliseconds { get; set; } = 300;

    /// <summary>Numbers a transfer to fails (<c>CallTransferFailed</c>), to try the agent's apology.</summary>
    public string[] UnreachableNumbers { get; set; } = [];

    /// <summary>Throttling, errors and timeouts on purpose, per operation (<see cref="SimulatorFaultOptions"/>); none by default.</summary>
    public SimulatorFaultOptions Faults { get; set; } = new();
}
