using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Hiroi.Shared.Configuration;

/// <summary>
/// Reads the Azure Functions <c>local.settings.json</c> (its <c>Values</c> and <c>ConnectionStrings</c>) so the self-host
/// and <c>func start</c> share one settings file. <c>Hiroi__Section__Key</c> becomes <c>Hiroi:Section:Key</c>.
/// </summary>
public static class LocalSettingsConfiguration
{
    public const string FileName = "local.settings.json";

    /// <summary>Environment variable naming the file explicitly; otherwise it is looked for from the content root upwards.</summary>
    public const string PathVariable = "HIROI_LOCAL_SETTINGS";

    /// <summary>
    /// Adds the file's settings with lower precedence than environment variables and the command line, which the operator
    /// uses to override it. Does nothing when there is no file.
    /// </summary>
    public static IConfigurationBuilder AddLocalSettings(this IConfigurationBuilder builder, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var path = Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } explicitPath ? explicitPath : Find(contentRoot);
        if (path is null)
        {
            return builder;
        }

        var source = new MemoryConfigurationSourceOf(Read(path));
        var environmentIndex = builder.Sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource);
        var afterJsonIndex = builder.Sources.ToList().FindLastIndex(s => s is JsonConfigurationSource) + 1;
        builder.Sources.Insert(environmentIndex >= 0 ? environmentIndex : Math.Max(afterJsonIndex, builder.Sources.Count), source);
        return builder;
    }

    /// <summary>Parses a local.settings.json; throws <see cref="SettingException"/> when it is not valid JSON of that shape.</summary>
    public static IReadOnlyDictionary<string, string?> Read(string path)
    {
        using var stream = File.OpenRead(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new SettingException($"{path} is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SettingException($"{path} must hold a JSON object with a Values object.");
            }

            Copy(document.RootElement, "Values", prefix: string.Empty, settings);
            Copy(document.RootElement, "ConnectionStrings", prefix: "ConnectionStrings:", settings);
            return settings;
        }
    }

    private static void Copy(JsonElement root, string section, string prefix, Dictionary<string, string?> settings)
    {
        if (!root.TryGetProperty(section, out var values) || values.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in values.EnumerateObject())
        {
            var key = prefix + property.Name.Replace("__", ":", StringComparison.Ordinal);
            settings[key] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null => null,
                _ => property.Value.GetRawText(),
            };
        }
    }

    private static string? Find(string contentRoot)
    {
        for (var dir = new DirectoryInfo(contentRoot); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }

            // Stop at the repository root: a settings file above it belongs to something else.
            if (File.Exists(Path.Combine(dir.FullName, "Hiroi.Functions.sln")))
            {
                return null;
            }
        }

        return null;
    }

    private sealed class MemoryConfigurationSourceOf(IReadOnlyDictionary<string, string?> values) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(values);

        private sealed class Provider : ConfigurationProvider
        {
            public Provider(IReadOnlyDictionary<string, string?> values)
            {
                foreach (var (key, value) in values)
                {
                    Data[key] = value;
                }
            }
        }
    }
}
