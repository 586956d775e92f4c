using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Hiroi.Endpoints.Telephony;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Events;
using Hiroi.Shared.Privacy;
using Hiroi.Shared.Security;

namespace Hiroi.Tests.Deployment;

/// <summary>
/// The security rules on bicep/main.bicep compiled to ARM JSON: each holds on the real template, and each fails on a
/// copy broken in the way the rule forbids.
/// </summary>
public class TemplateSecurityTests(CompiledTemplate compiled) : IClassFixture<CompiledTemplate>
{
    /// <summary>The settings the app reads as secrets (through ISecretStore); none may be an app setting.</summary>
    private static readonly HashSet<string> SecretSettings = new[]
    {
        WebhookAuthenticator.SecretName, WebhookAuthenticator.PreviousSecretName, AcsOptions.AccessKeySecretName,
        CallbackTokenService.SecretName, RecordingKeyRing.SecretName, SubjectKeys.SecretName,
    }.Select(name => "Hiroi__" + name.Replace(":", "__", StringComparison.Ordinal)).ToHashSet();

    /// <summary>
    /// The event types the webhook has a consumer for. Each consumer's type is a constant of its class, read without
    /// building the app (no constructor runs).
    /// </summary>
    private static readonly HashSet<string> HandledEventTypes = typeof(IAcsEventConsumer).Assembly.GetTypes()
        .Where(t => typeof(IAcsEventConsumer).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
        .Select(t => ((IAcsEventConsumer)RuntimeHelpers.GetUninitializedObject(t)).EventType)
        .ToHashSet();

    private static JsonObject Find(JsonObject template, string type, Func<DeployedResource, bool>? where = null) =>
        TemplateRules.Resources(template).First(r => r.Type == type && (where?.Invoke(r) ?? true)).Resource;

    private static JsonObject Deployment(JsonObject template, string name) =>
        Find(template, "Microsoft.Resources/deployments", r => r.Resource["name"]?.GetValue<string>() == name);

    [Fact]
    public void The_template_keeps_every_rule()
    {
        var template = compiled.Fresh();

        Assert.Empty(TemplateRules.StorageDeniesSharedKeyAndPublicAccess(template));
        Assert.Empty(TemplateRules.RequiresTls12AndHttps(template));
        Assert.Empty(TemplateRules.NoSecretsInSettingsOrOutputs(template, SecretSettings));
        Assert.Empty(TemplateRules.EventSubscriptionDeliversHandledEvents(template, HandledEventTypes));
        Assert.Empty(TemplateRules.RoleAssignmentsAreBuiltInOnTheNarrowestScope(template));
        Assert.Empty(TemplateRules.KeyVaultUsesRbacWithPurgeProtection(template));
        // The rules saw what they judge: the webhook handles the four ACS event types, and roles are assigned.
        Assert.Equal(4, HandledEventTypes.Count);
        Assert.Contains(TemplateRules.Resources(template), r => r.Type == "Microsoft.Authorization/roleAssignments");
    }

    [Fact]
    public void The_container_app_routes_to_and_probes_the_port_the_image_listens_on()
    {
        var app = Find(compiled.Fresh(), "Microsoft.App/containerApps");
        var container = app["properties"]!["template"]!["containers"]![0]!;
        var port = app["properties"]!["configuration"]!["ingress"]!["targetPort"]!.GetValue<int>();

        Assert.Empty(DockerfileTests.Violations(File.ReadAllText(Path.Combine(Infrastructure.TestStorage.RepoRoot(), "functions", "Hiroi.Server", "Dockerfile")), port));
        Assert.All(container["probes"]!.AsArray(), probe => Assert.Equal(port, probe!["httpGet"]!["port"]!.GetValue<int>()));
        Assert.Equal(["/healthz", "/readyz", "/healthz"], container["probes"]!.AsArray().Select(p => p!["httpGet"]!["path"]!.GetValue<string>()));
    }

    [Fact]
    public void Shared_key_access_or_a_public_blob_breaks_the_storage_rule()
    {
        var sharedKey = compiled.Fresh();
        Find(sharedKey, "Microsoft.Storage/storageAccounts")["properties"]!["allowSharedKeyAccess"] = true;
        var publicBlobs = compiled.Fresh();
        Find(publicBlobs, "Microsoft.Storage/storageAccounts")["properties"]!["allowBlobPublicAccess"] = true;

        Assert.Contains(TemplateRules.StorageDeniesSharedKeyAndPublicAccess(sharedKey), v => v.Contains("shared-key", StringComparison.Ordinal));
        Assert.Contains(TemplateRules.StorageDeniesSharedKeyAndPublicAccess(publicBlobs), v => v.Contains("public blob", StringComparison.Ordinal));
    }

    [Fact]
    public void Http_or_old_tls_anywhere_breaks_the_transport_rule()
    {
        var httpApp = compiled.Fresh();
        Find(httpApp, "Microsoft.Web/sites")["properties"]!["httpsOnly"] = false;
        var oldTls = compiled.Fresh();
        Find(oldTls, "Microsoft.Storage/storageAccounts")["properties"]!["minimumTlsVersion"] = "TLS1_0";
        var insecureIngress = compiled.Fresh();
        Find(insecureIngress, "Microsoft.App/containerApps")["properties"]!["configuration"]!["ingress"]!["allowInsecure"] = true;

        Assert.Contains(TemplateRules.RequiresTls12AndHttps(httpApp), v => v.Contains("Microsoft.Web/sites", StringComparison.Ordinal));
        Assert.Contains(TemplateRules.RequiresTls12AndHttps(oldTls), v => v.Contains("TLS below 1.2", StringComparison.Ordinal));
        Assert.Contains(TemplateRules.RequiresTls12AndHttps(insecureIngress), v => v.Contains("ingress allows HTTP", StringComparison.Ordinal));
    }

    [Fact]
    public void A_secret_app_setting_or_a_key_in_an_output_breaks_the_secrets_rule()
    {
        var secretSetting = compiled.Fresh();
        var settings = Deployment(secretSetting, "functionapp")["properties"]!["parameters"]!["settings"]!;
        settings["value"] = settings["value"]!.GetValue<string>()
            .Replace("createObject('AzureWebJobsStorage__accountName'",
                "createObject('Hiroi__EventGrid__WebhookSecret', 'hunter2', 'AzureWebJobsStorage__accountName'", StringComparison.Ordinal);
        var keyOutput = compiled.Fresh();
        keyOutput["outputs"]!.AsObject()["storageConnection"] = new JsonObject
        {
            ["type"] = "string",
            ["value"] = "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'x'), '2023-05-01').keys[0].value]",
        };

        Assert.Contains(TemplateRules.NoSecretsInSettingsOrOutputs(secretSetting, SecretSettings), v => v.Contains("Hiroi__EventGrid__WebhookSecret", StringComparison.Ordinal));
        Assert.Contains(TemplateRules.NoSecretsInSettingsOrOutputs(keyOutput, SecretSettings), v => v.Contains("listKeys(", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_event_type_weaker_retries_or_no_dead_letter_breaks_the_subscription_rule()
    {
        var missingType = compiled.Fresh();
        var types = Deployment(missingType, "eventgrid")["properties"]!["parameters"]!["eventTypes"]!["value"]!.AsArray();
        types.RemoveAt(types.Count - 1);
        var fewRetries = compiled.Fresh();
        Find(fewRetries, "Microsoft.EventGrid/systemTopics/eventSubscriptions")["properties"]!["retryPolicy"]!["maxDeliveryAttempts"] = 3;
        var noDeadLetter = compiled.Fresh();
        Find(noDeadLetter, "Microsoft.EventGrid/systemTopics/eventSubscriptions")["properties"]!.AsObject().Remove("deadLetterWithResourceIdentity");

        Assert.Contains(TemplateRules.EventSubscriptionDeliversHandledEvents(missingType, HandledEventTypes), v => v.StartsWith("subscribed", StringComparison.Ordinal));
        Assert.Contains(TemplateRules.EventSubscriptionDeliversHandledEvents(fewRetries, HandledEventTypes), v => v.Contains("30 attempts", StringComparison.Ordinal));
        Assert.Contains(TemplateRules.EventSubscriptionDeliversHandledEvents(noDeadLetter, HandledEventTypes), v => v.Contains("dead-lettering", StringComparison.Ordinal));
    }

    [Fact]
    public void An_owner_role_or_a_resource_group_scope_breaks_the_role_rule()
    {
        const string Owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
        var owner = compiled.Fresh();
        var acsTemplate = Deployment(owner, "acs")["properties"]!["template"]!;
        acsTemplate["variables"]!["builtInRoles"]!["contributor"] = Owner;
        var groupScope = compiled.Fresh();
        Find(groupScope, "Microsoft.Authorization/roleAssignments", r => r.Resource["scope"]!.GetValue<string>().Contains("KeyVault", StringComparison.Ordinal)).Remove("scope");

        Assert.Contains(TemplateRules.RoleAssignmentsAreBuiltInOnTheNarrowestScope(owner), v => v.Contains(Owner, StringComparison.Ordinal));
        Assert.Contains(TemplateRules.RoleAssignmentsAreBuiltInOnTheNarrowestScope(groupScope), v => v.Contains("the resource group", StringComparison.Ordinal));
    }

    [Fact]
    public void Access_policies_or_no_purge_protection_break_the_vault_rule()
    {
        var accessPolicies = compiled.Fresh();
        Find(accessPolicies, "Microsoft.KeyVault/vaults")["properties"]!["enableRbacAuthorization"] = false;
        var purgeable = compiled.Fresh();
        Find(purgeable, "Microsoft.KeyVault/vaults")["properties"]!["enablePurgeProtection"] = false;

        Assert.Contains(TemplateRules.KeyVaultUsesRbacWithPurgeProtection(accessPolicies), v => v.Contains("RBAC", StringComparison.Ordinal));
        Assert.Contains(TemplateRules.KeyVaultUsesRbacWithPurgeProtection(purgeable), v => v.Contains("purge", StringComparison.Ordinal));
    }
}
