using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;

namespace Hiroi.Server.AcsSimulator;

/// <summary>What the simulated ACS did: PartitionKey = kind (sms, call, recording), RowKey = its id.</summary>
public sealed class SimulatedRecord : TableRow
{
    public string? From { get; set; }
    public string? To { get; set; }
    public string? MessageId { get; set; }
    public string? Tag { get; set; }
    public int Requests { get; set; }
    public string? CallbackUri { get; set; }
    public string? CallConnectionId { get; set; }
    public string? ServerCallId { get; set; }
    public string? State { get; set; }
    public bool Recording { get; set; }
    public bool Deleted { get; set; }

    /// <summary>An email's subject and body, so a developer (and the browser test) can follow the sign-in link it carries.</summary>
    public string? Subject { get; set; }

    public string? Text { get; set; }

    /// <summary>A call answered with speech (an agent talks on it): the caller hangs up when they choose, not after a set time.</summary>
    public bool Conversational { get; set; }

    /// <summary>How long the caller takes to hear one character of a prompt (0: prompts are heard at once).</summary>
    public int SpeakingMillisecondsPerCharacter { get; set; }

    /// <summary>The call's media operations and what the caller heard (<see cref="SimulatedMedia"/> as JSON).</summary>
    public string? MediaJson { get; set; }

    /// <summary>Where the call was transferred (the caller now talks to a person).</summary>
    public string? TransferredTo { get; set; }

    /// <summary>A streamed call whose end never reads the platform's audio (<see cref="SimulatedMediaStreams"/>).</summary>
    public bool IgnoresAgentAudio { get; set; }
}

/// <summary>
/// The simulator's own record, kept in storage so it survives restarts of the process (fault tests compare what was
/// really sent against it). Repeated requests with one repeatability id are one send with a higher request count.
/// </summary>
public sealed class SimulatorStore(HiroiTables tables)
{
    public const string Table = "SimAcs";

    public async Task<(SimulatedRecord Record, bool IsNew)> RecordOnceAsync(string kind, string id, Func<SimulatedRecord> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(create);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var record = create();
        record.PartitionKey = kind;
        record.RowKey = id;
        record.Requests = 1;
        try
        {
            await table.AddEntityAsync(record, cancellationToken).ConfigureAwait(false);
            return (record, true);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = (await table.GetEntityAsync<SimulatedRecord>(kind, id, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            existing.Requests++;
            await table.UpdateEntityAsync(existing, ETag.All, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return (existing, false);
        }
    }

    public async Task<SimulatedRecord?> FindAsync(string kind, string id, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<SimulatedRecord>(kind, id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }

    public async Task SaveAsync(SimulatedRecord record, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(record, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Changes a record under its ETag (the caller and the platform act on one call at once); null when it does not exist.</summary>
    public async Task<T?> ChangeAsync<T>(string kind, string id, Func<SimulatedRecord, T> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var row = await table.GetEntityIfExistsAsync<SimulatedRecord>(kind, id, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!row.HasValue)
            {
                return default;
            }

            var record = row.Value!;
            var result = change(record);
            try
            {
                await table.UpdateEntityAsync(record, record.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < 100)
            {
                // Changed meanwhile: read it again.
            }
        }
    }

    public async Task<List<SimulatedRecord>> ListAsync(string kind, CancellationToken cancellationToken) =>
        await ListAsync<SimulatedRecord>(kind, cancellationToken).ConfigureAwait(false);

    public async Task<List<T>> ListAsync<T>(string kind, CancellationToken cancellationToken) where T : class, ITableEntity, new()
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        return await table.QueryAsync<T>(r => r.PartitionKey == kind, cancellationToken: cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task AddAsync(ITableEntity entity, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string kind, string id, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.DeleteEntityAsync(kind, id, ETag.All, cancellationToken).ConfigureAwait(false);
    }

    private Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetAsync(Table, cancellationToken);
}
