using Hiroi.Server.Workflows;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Workflows;

/// <summary>
/// The self-host's repair of DurableTask.AzureStorage (an activity whose abandon failed stays "running" for good) reaches
/// into the engine's record of handed-out activities: a version of the engine that renames or retypes it fails here, not
/// in an outage. The repair itself is proven by StorageOutageTests (a campaign across a storage restart).
/// </summary>
[Lane(Lanes.Unit)]
public class ActivityReleasingOrchestrationServiceTests
{
    [Fact]
    public void The_engine_still_keeps_its_handed_out_activities_where_the_repair_looks()
    {
        Assert.True(ActivityReleasingOrchestrationService.CanForget,
            "DurableTask.AzureStorage no longer has a dictionary 'activeActivitySessions': check whether the engine still forgets nothing on a failed abandon.");
    }
}
