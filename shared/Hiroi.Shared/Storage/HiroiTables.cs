using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Storage;

/// <summary>
/// Hands out table clients by logical name (<see cref="TableNames"/>), prefixed per deployment or test, and creates each
/// table once per process on first use.
/// </summary>
public sealed class HiroiTables(TableServiceClient service, IOptions<StorageOptions> options)
{
    private readonly CreatedOnce<TableClient> _tables = new(async logicalName =>
    {
        var client = service.GetTableClient(options.Value.Prefix + logicalName);
        await client.CreateIfNotExistsAsync().ConfigureAwait(false);
        return client;
    });

    public TableServiceClient Service => service;

    public string PhysicalName(string logicalName) => options.Value.Prefix + logicalName;

    public Task<TableClient> GetAsync(string logicalName, CancellationToken cancellationToken = default) =>
        _tables.GetAsync(logicalName, cancellationToken);
}
/// <summary>Logical table names; <see cref="HiroiTables"/> adds the prefix.</summary>
public static class TableNames
{
    public const string Orgs = "Orgs";
    public const string Members = "Members";
    public const string ApiKeys = "ApiKeys";
    public const string Audit = "Audit";
    public const string Numbers = "Numbers";
    public const string NumberOwners = "NumberOwners";
    public const string OptOuts = "OptOuts";
    public const string Messages = "Messages";
    public const string Calls = "Calls";
    public const string CallIndex = "CallIndex";
    public const string EventClaims = "EventClaims";
    public const string Recordings = "Recordings";
    public const string CallTranscripts = "CallTranscripts";
    public const string CallLimits = "CallLimits";
    public const string ContactLists = "ContactLists";
    public const string Contacts = "Contacts";
    public const string DoNotContact = "DoNotContact";
    public const string Campaigns = "Campaigns";
    public const string CampaignContacts = "CampaignContacts";
    public const string Agents = "Agents";
    public const string AgentUsage = "AgentUsage";
    public const string TenantSecrets = "TenantSecrets";
    public const string WidgetKeys = "WidgetKeys";
    public const string WidgetSessions = "WidgetSessions";
    public const string Accounts = "Accounts";
    public const string SignInSessions = "SignInSessions";
    public const string SignInTokens = "SignInTokens";

    /// <summary>The self-host's default Durable task hub; the engine names its tables (History, Instances, Partitions) after it.</summary>
    public const string WorkflowHub = "workflows";
}
