using System.Text.Json.Nodes;

namespace Hiroi.Tests.Deployment;

/// <summary>What voice agents need of the deployment, on bicep/main.bicep compiled to ARM JSON.</summary>
public class VoiceTemplateTests(CompiledTemplate compiled) : IClassFixture<CompiledTemplate>
{
    private static JsonObject Find(JsonObject template, string type) =>
        TemplateRules.Resources(template).First(r => r.Type == type).Resource;

    [Fact]
    public void Acs_speaks_through_an_ai_services_account_by_its_own_identity_and_the_account_takes_no_keys()
    {
        var template = compiled.Fresh();
        var account = Find(template, "Microsoft.CognitiveServices/accounts");
        var acs = Find(template, "Microsoft.Communication/communicationServices");

        Assert.Equal("AIServices", account["kind"]!.GetValue<string>());
        Assert.True(account["properties"]!["disableLocalAuth"]!.GetValue<bool>());
        Assert.Equal("SystemAssigned", acs["identity"]!["type"]!.GetValue<string>());
        var roles = TemplateRules.Resources(template).Where(r => r.Type == "Microsoft.Authorization/roleAssignments").Select(r => r.Resource.ToJsonString()).ToList();
        Assert.Contains(roles, r => r.Contains("cognitiveServicesUser", StringComparison.Ordinal) && r.Contains("acsPrincipalId", StringComparison.Ordinal));
        Assert.Contains(roles, r => r.Contains("cognitiveServicesOpenAIUser", StringComparison.Ordinal) && r.Contains("appPrincipalId", StringComparison.Ordinal));
    }

    [Fact]
    public void The_functions_app_keeps_an_http_instance_warm_and_both_hosts_get_the_speech_and_model_endpoints()
    {
        var template = compiled.Fresh();
        var site = Find(template, "Microsoft.Web/sites").ToJsonString();
        var main = template.ToJsonString();

        Assert.Contains("alwaysReady", site, StringComparison.Ordinal);
        Assert.Contains("Hiroi__Calls__CognitiveServicesEndpoint", main, StringComparison.Ordinal);
        Assert.Contains("Hiroi__Ai__Endpoint", main, StringComparison.Ordinal);
        Assert.Contains("Hiroi__Ai__Provider", main, StringComparison.Ordinal);
        Assert.Contains("AzureOpenAI", main, StringComparison.Ordinal);
    }
}
