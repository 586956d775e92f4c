using System.Text.Json.Nodes;

namespace Hiroi.Tests.Deployment;

/// <summary>
/// The realtime voice host in bicep/main.bicep (compiled): with <c>realtimeVoice</c> on the Functions host, the self-host
/// on Container Apps is deployed beside it with WebSocket-capable HTTP ingress and no timers of its own, and the Functions
/// app answers realtime agents' calls with their media streamed to it; the realtime model deployment is a setting of both.
/// </summary>
public class RealtimeTemplateTests(CompiledTemplate compiled) : IClassFixture<CompiledTemplate>
{
    /// <summary>A module's app settings, as the ARM expression that builds them.</summary>
    private static string Settings(JsonObject module) => module["properties"]!["parameters"]!["settings"]!["value"]!.GetValue<string>();

    private static JsonObject Module(JsonObject template, string name) =>
        TemplateRules.Resources(template).First(r => r.Type == "Microsoft.Resources/deployments" && r.Resource["name"]?.GetValue<string>() == name).Resource;

    [Fact]
    public void The_realtime_parameters_are_described_and_off_unless_asked_for()
    {
        var parameters = compiled.Fresh()["parameters"]!;

        Assert.False(parameters["realtimeVoice"]!["defaultValue"]!.GetValue<bool>());
        Assert.Equal(string.Empty, parameters["realtimeDeployment"]!["defaultValue"]!.GetValue<string>());
        Assert.All(new[] { "realtimeVoice", "realtimeDeployment" }, p => Assert.False(string.IsNullOrWhiteSpace(parameters[p]!["metadata"]?["description"]?.GetValue<string>())));
    }

    [Fact]
    public void Beside_the_functions_app_the_container_app_is_the_realtime_host_and_the_functions_app_streams_realtime_calls_to_it()
    {
        var template = compiled.Fresh();
        var variables = template["variables"]!;

        Assert.Equal("[and(equals(parameters('hostKind'), 'functions'), parameters('realtimeVoice'))]", variables["realtimeHost"]!.GetValue<string>());
        Assert.Equal("[or(equals(parameters('hostKind'), 'containerapp'), variables('realtimeHost'))]", variables["deployContainerApp"]!.GetValue<string>());
        Assert.Equal("[variables('deployContainerApp')]", Module(template, "containerapp")["condition"]!.GetValue<string>());
        var functionSettings = Settings(Module(template, "functionapp"));
        Assert.Contains("if(variables('realtimeHost'), createObject('Hiroi__Voice__RealtimeBaseUrl', reference(resourceId('Microsoft.Resources/deployments', 'containerapp')",
            functionSettings, StringComparison.Ordinal);
        Assert.Contains(".outputs.url.value", functionSettings, StringComparison.Ordinal);
        // The realtime host leaves the timers (retention sweep, workflow recovery) to the Functions app.
        var hostSettings = Settings(Module(template, "containerapp"));
        Assert.Contains("if(variables('realtimeHost'), createObject('Hiroi__RetentionSweep__Enabled', 'false')", hostSettings, StringComparison.Ordinal);
        // Both read the realtime deployment.
        Assert.Contains("createObject('Hiroi__Voice__Realtime__Deployment', parameters('realtimeDeployment'))", functionSettings, StringComparison.Ordinal);
        Assert.Contains("createObject('Hiroi__Voice__Realtime__Deployment', parameters('realtimeDeployment'))", hostSettings, StringComparison.Ordinal);
        Assert.Equal("[variables('deployContainerApp')]", template["outputs"]!["DEPLOY_SERVER"]!["value"]!.GetValue<string>());
        Assert.NotNull(template["outputs"]!["realtimeUrl"]);
    }

    [Fact]
    public void The_container_apps_ingress_is_external_https_that_carries_websockets()
    {
        var app = TemplateRules.Resources(compiled.Fresh()).First(r => r.Type == "Microsoft.App/containerApps").Resource;
        var ingress = app["properties"]!["configuration"]!["ingress"]!;

        Assert.True(ingress["external"]!.GetValue<bool>());
        Assert.False(ingress["allowInsecure"]!.GetValue<bool>());
        // HTTP ingress (auto or http) upgrades to WebSockets; tcp or http2-only would not carry ACS's wss:// upgrade.
        Assert.Contains(ingress["transport"]!.GetValue<string>(), new[] { "auto", "http" });
    }
}
