using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Hiroi.Shared.Configuration;
using Microsoft.Extensions.Configuration;

namespace Hiroi.Shared.Storage;

/// <summary>
/// The storage account named by <c>AzureWebJobsStorage</c>, in either of the forms Azure Functions accepts:
/// a connection string (<c>UseDevelopmentStorage=true</c> means Azurite), or the identity-based form
/// (<c>AzureWebJobsStorage__accountName</c>, or <c>__tableServiceUri</c>/<c>__blobServiceUri</c>/<c>__queueServiceUri</c>)
/// reached with <see cref="DefaultAzureCredential"/>. Every storage client of the app is made here, with the bounded
/// retries of <see cref="StorageOptions"/>, so a hung or throttling account costs a caller seconds, not minutes.
/// </summary>
public sealed class StorageAccount
{
    public const string SettingName = "AzureWebJobsStorage";

    private readonly string? _connectionString;
    private readonly Uri? _tableUri;
    private readonly Uri? _blobUri;
    private readonly Uri? _queueUri;
    private readonly TokenCredential? _credential;
    private StorageOptions _options = new();
    private IReadOnlyList<StorageClientHook> _hooks = [];

    private StorageAccount(string connectionString) => _connectionString = connectionString;

    private StorageAccount(Uri tableUri, Uri blobUri, Uri queueUri, TokenCredential credential)
    {
        (_tableUri, _blobUri, _queueUri, _credential) = (tableUri, blobUri, queueUri, credential);
    }

    /// <summary>Reads the account from configuration; throws <see cref="SettingException"/> naming the key when it is missing or bad.</summary>
    public static StorageAccount FromConfiguration(IConfiguration configuration, StorageOptions? options = null, IEnumerable<StorageClientHook>? hooks = null)
    {
        var account = Read(configuration);
        account._options = options ?? new StorageOptions();
        account._hooks = [.. hooks ?? []];
        return account;
    }

    private static StorageAccount Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(SettingName);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new StorageAccount(section.Value);
        }

        var accountName = section["accountName"];
        var tableUri = UriSetting(section, "tableServiceUri") ?? AccountUri(accountName, "table");
        var blobUri = UriSetting(section, "blobServiceUri") ?? AccountUri(accountName, "blob");
        var queueUri = UriSetting(section, "queueServiceUri") ?? AccountUri(accountName, "queue");
        if (tableUri is null || blobUri is null || queueUri is null)
        {
            throw new SettingException(SettingName,
                "is not set: give a connection string (UseDevelopmentStorage=true for Azurite) or "
                + "AzureWebJobsStorage__accountName (or __tableServiceUri, __blobServiceUri and __queueServiceUri)");
        }

        var clientId = section["clientId"];
        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = string.IsNullOrWhiteSpace(clientId) ? null : clientId,
        });
        return new StorageAccount(tableUri, blobUri, queueUri, credential);
    }

    public TableServiceClient CreateTableServiceClient() =>
        _connectionString is not null
            ? new TableServiceClient(_connectionString, Configured(new TableClientOptions()))
            : new TableServiceClient(_tableUri, _credential, Configured(new TableClientOptions()));

    public BlobServiceClient CreateBlobServiceClient() =>
        _connectionString is not null
            ? new BlobServiceClient(_connectionString, Configured(new BlobClientOptions()))
            : new BlobServiceClient(_blobUri, _credential, Configured(new BlobClientOptions()));

    /// <summary>
    /// Gives client options of any storage library (tables, blobs, queues) the bounded retries: exponential back-off on
    /// what the storage retry policy retries (503 ServerBusy, 500, 408, 429, timeouts, refused connections), a short
    /// timeout per try (longer for blobs, which carry recordings), then the registered hooks.
    /// </summary>
    public TOptions Configured<TOptions>(TOptions options) where TOptions : ClientOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = _options.MaxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(_options.RetryDelayMilliseconds);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(Math.Max(_options.RetryDelayMilliseconds, _options.MaxRetryDelayMilliseconds));
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(options is BlobClientOptions ? _options.BlobNetworkTimeoutSeconds : _options.NetworkTimeoutSeconds);
        foreach (var hook in _hooks)
        {
            hook.Configure(options);
        }

        return options;
    }

    /// <summary>
    /// Builds a client of another library for this account: from the connection string, or from the service URIs and the
    /// credential. Give it options through <see cref="Configured{TOptions}"/>.
    /// </summary>
    public T Create<T>(Func<string, T> fromConnectionString, Func<Uri, Uri, Uri, TokenCredential, T> fromIdentity)
    {
        ArgumentNullException.ThrowIfNull(fromConnectionString);
        ArgumentNullException.ThrowIfNull(fromIdentity);
        return _connectionString is not null ? fromConnectionString(_connectionString) : fromIdentity(_blobUri!, _queueUri!, _tableUri!, _credential!);
    }

    private static Uri? UriSetting(IConfigurationSection section, string name)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            ? uri
            : throw new SettingException($"{SettingName}__{name}", "must be an absolute http(s) URI");
    }

    private static Uri? AccountUri(string? accountName, string service) =>
        string.IsNullOrWhiteSpace(accountName) ? null : new Uri($"https://{accountName}.{service}.core.windows.net");
}
