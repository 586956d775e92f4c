namespace Hiroi.Shared.Configuration;

/// <summary>A missing or bad setting, named in the form the operator sets it (<c>Hiroi__Section__Key</c>).</summary>
public sealed class SettingException : Exception
{
    public SettingException(string key, string problem)
        : base($"Setting {SettingKeys.ToEnvironmentName(key)} {problem}.") => Key = SettingKeys.ToEnvironmentName(key);

    public SettingException()
    {
        Key = string.Empty;
    }

    public SettingException(string message) : base(message) => Key = string.Empty;

    public SettingException(string message, Exception innerException) : base(message, innerException) => Key = string.Empty;

    public string Key { get; }
}

public static class SettingKeys
{
    /// <summary><c>Hiroi:ApiKeys:CacheSeconds</c> becomes <c>Hiroi__ApiKeys__CacheSeconds</c>, as set in Values or the environment.</summary>
    public static string ToEnvironmentName(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
