using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Hiroi.Tests.Deployment;

/// <summary>A resource of the compiled template, with the template that declares it and the parameters passed to that template.</summary>
public sealed record DeployedResource(JsonObject Resource, JsonObject Template, JsonObject Parameters)
{
    public string Type => Resource["type"]!.GetValue<string>();

    public JsonObject? Properties => Resource["properties"] as JsonObject;

    /// <summary>A literal value, or the value passed for a <c>[parameters('x')]</c> expression.</summary>
    public JsonNode? Resolve(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && Regex.Match(text, @"^\[parameters\('(\w+)'\)\]$") is { Success: true } match
            ? (Parameters[match.Groups[1].Value] as JsonObject)?["value"]
            : node;
}

/// <summary>
/// The security rules the compiled ARM template must keep, each a function from the template to its violations, so a
/// test can show the rule holds on bicep/main.bicep and fails on a template that breaks it.
/// </summary>
public static partial class TemplateRules
{
    /// <summary>Every resource, in every nested deployment, that the deployment creates (existing references are skipped).</summary>
    public static IEnumerable<DeployedResource> Resources(JsonObject template, JsonObject? parameters = null)
    {
        var resources = template["resources"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject symbolic => symbolic.Select(kv => kv.Value).OfType<JsonObject>(),
            _ => [],
        };
        foreach (var resource in resources.Where(r => r["existing"]?.GetValue<bool>() != true))
        {
            yield return new DeployedResource(resource, template, parameters ?? []);
            if (resource["type"]?.GetValue<string>() == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in Resources(nested, resource["properties"]?["parameters"] as JsonObject))
                {
                    yield return inner;
                }
            }
        }
    }

    private static IEnumerable<DeployedResource> OfType(JsonObject template, string type) => Resources(template).Where(r => r.Type == type);

    private static bool Is(JsonNode? node, bool expected) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b == expected;

    private static bool IsOneOf(JsonNode? node, params string[] allowed) => node is JsonValue v && v.TryGetValue<string>(out var s) && allowed.Contains(s);

    private static string Name(DeployedResource r) => Text(r.Resource["name"]);

    /// <summary>A string as it is, anything else as JSON without escaping, so expressions read as written.</summary>
    private static string Text(JsonNode? node) => node switch
    {
        null => string.Empty,
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
    };

    public static List<string> StorageDeniesSharedKeyAndPublicAccess(JsonObject template)
    {
        var violations = new List<string>();
        foreach (var account in OfType(template, "Microsoft.Storage/storageAccounts"))
        {
            if (!Is(account.Properties?["allowSharedKeyAccess"], false))
            {
                violations.Add($"storage account {Name(account)} allows shared-key access");
            }

            if (!Is(account.Properties?["allowBlobPublicAccess"], false))
            {
                violations.Add($"storage account {Name(account)} allows public blob access");
            }
        }

        violations.AddRange(OfType(template, "Microsoft.Storage/storageAccounts/blobServices/containers")
            .Where(c => !IsOneOf(c.Properties?["publicAccess"], "None"))
            .Select(c => $"blob container {Name(c)} is not private"));
        return violations;
    }

    public static List<string> RequiresTls12AndHttps(JsonObject template)
    {
        var violations = new List<string>();
        void Require(bool holds, DeployedResource r, string what)
        {
            if (!holds)
            {
                violations.Add($"{r.Type} {Name(r)}: {what}");
            }
        }

        foreach (var r in Resources(template))
        {
            var p = r.Properties;
            switch (r.Type)
            {
                case "Microsoft.Storage/storageAccounts":
                    Require(IsOneOf(p?["minimumTlsVersion"], "TLS1_2", "TLS1_3"), r, "minimum TLS below 1.2");
                    Require(Is(p?["supportsHttpsTrafficOnly"], true), r, "allows HTTP");
                    break;
                case "Microsoft.Web/sites":
                    Require(Is(p?["httpsOnly"], true), r, "allows HTTP");
                    Require(IsOneOf(p?["siteConfig"]?["minTlsVersion"], "1.2", "1.3"), r, "minimum TLS below 1.2");
                    Require(IsOneOf(p?["siteConfig"]?["scmMinTlsVersion"], "1.2", "1.3"), r, "SCM minimum TLS below 1.2");
                    Require(IsOneOf(p?["siteConfig"]?["ftpsState"], "Disabled"), r, "FTP enabled");
                    break;
                case "Microsoft.Web/sites/basicPublishingCredentialsPolicies":
                    Require(Is(p?["allow"], false), r, "basic publishing credentials allowed");
                    break;
                case "Microsoft.App/containerApps":
                    Require(Is(p?["configuration"]?["ingress"]?["allowInsecure"], false), r, "ingress allows HTTP");
                    break;
                case "Microsoft.Cache/redisEnterprise":
                    Require(IsOneOf(p?["minimumTlsVersion"], "1.2", "1.3"), r, "minimum TLS below 1.2");
                    break;
                case "Microsoft.Cache/redisEnterprise/databases":
                    Require(IsOneOf(p?["clientProtocol"], "Encrypted"), r, "plaintext client protocol");
                    Require(IsOneOf(p?["accessKeysAuthentication"], "Disabled"), r, "access keys enabled");
                    break;
            }
        }

        if (Text(template).Contains("http://", StringComparison.OrdinalIgnoreCase))
        {
            violations.Add("the template names a plain-HTTP URL");
        }

        return violations;
    }

    /// <summary>Functions that read keys or secrets at deployment; none may appear anywhere.</summary>
    private static readonly string[] SecretReaders = ["listKeys(", "listSecrets(", "listConnectionStrings(", "listCredentials(", "listAccountSas(", "listServiceSas("];

    private static readonly string[] SecretMarkers = ["AccountKey=", "SharedAccessKey=", "Password="];

    public static List<string> NoSecretsInSettingsOrOutputs(JsonObject template, IReadOnlySet<string> secretSettingNames)
    {
        var violations = new List<string>();
        var text = Text(template);
        violations.AddRange(SecretReaders.Concat(SecretMarkers).Where(m => text.Contains(m, StringComparison.OrdinalIgnoreCase)).Select(m => $"the template uses {m}"));

        foreach (var deployment in OfType(template, "Microsoft.Resources/deployments"))
        {
            var settings = Text(deployment.Properties?["parameters"]?["settings"]?["value"]);
            foreach (Match name in SettingName().Matches(settings))
            {
                var setting = name.Groups[1].Value;
                if (secretSettingNames.Contains(setting) || SecretWord().IsMatch(setting))
                {
                    violations.Add($"app setting {setting} holds a secret");
                }
            }
        }

        foreach (var (name, output) in AllOutputs(template))
        {
            if (SecretWord().IsMatch(name) || IsOneOf(output?["type"], "securestring", "secureObject"))
            {
                violations.Add($"output {name} is a secret");
            }
        }

        return violations;
    }

    private static IEnumerable<(string Name, JsonNode? Output)> AllOutputs(JsonObject template)
    {
        var templates = new[] { template }.Concat(Resources(template).Select(r => r.Properties?["template"]).OfType<JsonObject>());
        return templates.SelectMany(t => (t["outputs"] as JsonObject)?.Select(kv => (kv.Key, kv.Value)) ?? []);
    }

    /// <summary>A setting name as a quoted literal in the settings object: Name__Part or UPPER_CASE.</summary>
    [GeneratedRegex(@"'([A-Za-z][A-Za-z0-9]*(?:__[A-Za-z0-9]+)+|[A-Z][A-Z0-9_]{2,})'")]
    private static partial Regex SettingName();

    [GeneratedRegex("secret|password|accesskey|sharedkey|sas(token)?$|signingkey", RegexOptions.IgnoreCase)]
    private static partial Regex SecretWord();

    public static List<string> EventSubscriptionDeliversHandledEvents(JsonObject template, IReadOnlySet<string> handledEventTypes)
    {
        var subscriptions = OfType(template, "Microsoft.EventGrid/systemTopics/eventSubscriptions").ToList();
        if (subscriptions.Count == 0)
        {
            return ["no Event Grid subscription"];
        }

        var violations = new List<string>();
        foreach (var s in subscriptions)
        {
            var types = (s.Resolve(s.Properties?["filter"]?["includedEventTypes"]) as JsonArray)?.Select(t => t!.GetValue<string>()).ToHashSet() ?? [];
            if (!types.SetEquals(handledEventTypes))
            {
                violations.Add($"subscribed [{string.Join(", ", types.Order())}], handled [{string.Join(", ", handledEventTypes.Order())}]");
            }

            var retry = s.Properties?["retryPolicy"];
            if (retry?["maxDeliveryAttempts"]?.GetValue<int>() != 30 || retry?["eventTimeToLiveInMinutes"]?.GetValue<int>() != 1440)
            {
                violations.Add("retries are not 30 attempts over 24 hours");
            }

            var deadLetter = s.Properties?["deadLetterWithResourceIdentity"];
            if (!IsOneOf(deadLetter?["deadLetterDestination"]?["endpointType"], "StorageBlob") || deadLetter?["identity"]?["type"] is null)
            {
                violations.Add("no dead-lettering to storage through an identity");
            }
        }

        return violations;
    }

    /// <summary>Built-in roles the platform may assign, each with the one resource type it may be assigned on.</summary>
    public static readonly IReadOnlyDictionary<string, string> BuiltInRoleScopes = new Dictionary<string, string>
    {
        ["7f951dda-4ed3-4680-a7ca-43fe172d538d"] = "Microsoft.ContainerRegistry/registries", // AcrPull
        ["b24988ac-6180-42a0-ab88-20f7382dd24c"] = "Microsoft.Communication/communicationServices", // Contributor (ACS data plane)
        ["b86a8fe4-44ce-4948-aee5-eccb2c155cd7"] = "Microsoft.KeyVault/vaults", // Key Vault Secrets Officer
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Microsoft.KeyVault/vaults", // Key Vault Secrets User
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Microsoft.Insights/components", // Monitoring Metrics Publisher
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = "Microsoft.Storage/storageAccounts/blobServices/containers", // Storage Blob Data Contributor
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Microsoft.Storage/storageAccounts", // Storage Blob Data Owner
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Microsoft.Storage/storageAccounts", // Storage Queue Data Contributor
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Microsoft.Storage/storageAccounts", // Storage Table Data Contributor
        ["a97b65f3-24c7-4388-baec-2e87135dc908"] = "Microsoft.CognitiveServices/accounts", // Cognitive Services User (ACS speech)
        ["5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"] = "Microsoft.CognitiveServices/accounts", // Cognitive Services OpenAI User (agents' model)
    };

    public static List<string> RoleAssignmentsAreBuiltInOnTheNarrowestScope(JsonObject template)
    {
        var violations = new List<string>();
        foreach (var assignment in OfType(template, "Microsoft.Authorization/roleAssignments"))
        {
            var scope = assignment.Resource["scope"]?.GetValue<string>() ?? string.Empty;
            var scopeType = ScopeType().Match(scope) is { Success: true } m ? m.Groups[1].Value : null;
            var roles = RoleIds(assignment);
            if (roles.Count == 0)
            {
                violations.Add($"role assignment {Name(assignment)} names no built-in role id");
            }

            foreach (var role in roles)
            {
                if (!BuiltInRoleScopes.TryGetValue(role, out var allowed))
                {
                    violations.Add($"role {role} is not an allowed built-in role");
                }
                else if (scopeType != allowed)
                {
                    violations.Add($"role {role} is assigned on {scopeType ?? "the resource group"}, not on one {allowed}");
                }
            }
        }

        return violations;
    }

    /// <summary>The role ids an assignment names: literal GUIDs, or the built-in role variables its expression reads.</summary>
    private static List<string> RoleIds(DeployedResource assignment)
    {
        var expression = assignment.Properties?["roleDefinitionId"]?.GetValue<string>() ?? string.Empty;
        var variables = assignment.Template["variables"] as JsonObject;
        expression = VariableRef().Replace(expression, v => variables?[v.Groups[1].Value] is { } value ? Text(value) : v.Value);
        var ids = RoleGuid().Matches(expression).Select(g => g.Value).ToList();
        foreach (Match field in BuiltInRoleField().Matches(expression))
        {
            if (variables?["builtInRoles"]?[field.Groups[1].Value]?.GetValue<string>() is { } id)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    [GeneratedRegex(@"^\[resourceId\('([^']+)'")]
    private static partial Regex ScopeType();

    [GeneratedRegex(@"variables\('(\w+)'\)\[copyIndex\(\)\]")]
    private static partial Regex VariableRef();

    [GeneratedRegex(@"variables\('builtInRoles'\)\.(\w+)")]
    private static partial Regex BuiltInRoleField();

    [GeneratedRegex(@"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex RoleGuid();

    public static List<string> KeyVaultUsesRbacWithPurgeProtection(JsonObject template)
    {
        var vaults = OfType(template, "Microsoft.KeyVault/vaults").ToList();
        if (vaults.Count == 0)
        {
            return ["no Key Vault"];
        }

        return vaults.SelectMany(v => new[]
            {
                Is(v.Properties?["enableRbacAuthorization"], true) ? null : $"vault {Name(v)} does not use RBAC",
                Is(v.Properties?["enablePurgeProtection"], true) ? null : $"vault {Name(v)} has no purge protection",
            })
            .OfType<string>().ToList();
    }
}
