using Hiroi.Shared.Retention;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.StoredData;

/// <summary>How a kind's rows name their org, so org-wide work (the purge, the sweep) finds them.</summary>
public enum OrgPartitioning
{
    /// <summary>PartitionKey = the org id.</summary>
    Org,

    /// <summary>PartitionKey = <c>{org}_{id}</c>: one partition per campaign, found by key range.</summary>
    OrgPrefixed,

    /// <summary>A global index keyed by something else (a hash, a number); its <c>OrgId</c> column names the owner.</summary>
    IndexNamingOrg,

    /// <summary>The platform's own rows (event claims, the workflow engine's): no org's data.</summary>
    Platform,
}

/// <summary>How the rows of one person are found for a GDPR export or erasure.</summary>
public enum SubjectLookup
{
    /// <summary>Not about a person.</summary>
    None,

    /// <summary>Rows whose <c>Number</c> or <c>Email</c> is one of the person's (these also widen the identifiers, one hop).</summary>
    ContactIdentifiers,

    /// <summary>Rows whose <c>CustomerNumber</c> is one of the person's numbers.</summary>
    CustomerNumber,

    /// <summary>The row keyed by the number's pseudonym (<see cref="Privacy.SubjectKeys"/>).</summary>
    NumberPseudonym,

    /// <summary>The row keyed by the number in each of the org's prefixed partitions (every campaign).</summary>
    NumberInEachPartition,

    /// <summary>The member row of one of the person's emails.</summary>
    MemberEmail,

    /// <summary>Rows whose <c>CallId</c> is one of the person's calls (found first).</summary>
    CallIdOfFoundCalls,

    /// <summary>Index rows of the person's calls' server call ids (found first).</summary>
    IndexOfFoundCalls,

    /// <summary>Widget rows whose <c>VisitorId</c> is the person's, or whose <c>Email</c> (one the visitor gave) is one of theirs.</summary>
    WidgetVisitor,
}

/// <summary>What erasure does with the person's rows of a kind.</summary>
public enum ErasureAction
{
    /// <summary>Nothing: the kind holds nothing about a person.</summary>
    None,

    /// <summary>Deleted for good (with the blobs a row names).</summary>
    Delete,

    /// <summary>The row stays as suppression under its pseudonymous key; only the readable number goes.</summary>
    StripNumber,

    /// <summary>The person is a member: erasure is refused (membership goes through the members API).</summary>
    Refuse,
}

/// <summary>How a kind expires: its org's period for <paramref name="DataKind"/>, counted from <paramref name="AgeProperty"/>.</summary>
/// <param name="Audited">Whether the sweep writes an audit entry before deleting (not for the audit trail's own expiry).</param>
public sealed record RetentionRule(string DataKind, string AgeProperty, bool Audited = true);

/// <summary>
/// One kind of stored data: where it lives (table, row key range, blob container), how its rows name their org, how it
/// expires, how one person's rows are found and what erasure does with them.
/// </summary>
/// <param name="Name">The kind's name in exports, audit entries and sweep checkpoints; never reused for another kind.</param>
/// <param name="KeptByPurge">The org purge leaves these rows (the audit trail is anonymized, the org row becomes a tombstone); the sweep removes them later.</param>
/// <param name="RowKeyIsId">Whether the row key is an id the person can use (not a pseudonym, a hash or their own number).</param>
/// <param name="BlobContainer">The container of the blobs the rows name (<c>{org}/{call}/…</c>), deleted before the rows.</param>
public sealed record StoredKind(
    string Name, string Table, OrgPartitioning Partitioning, string? RowKeyPrefix = null, RetentionRule? Retention = null,
    SubjectLookup Lookup = SubjectLookup.None, ErasureAction Erasure = ErasureAction.None, bool KeptByPurge = false, bool RowKeyIsId = true,
    string? BlobContainer = null)
{
    public bool IsPersonal => Lookup != SubjectLookup.None;
}

/// <summary>
/// The one list of where Hiroi keeps data. The retention sweep, the org purge, GDPR export and erasure all read it, in
/// this order: blobs and index rows go before the rows that find them, messages before their conversations, contact
/// rows (which link an email to its numbers) last of what a person owns, so any of them stopped part-way is finished by
/// the next run. A table the app creates that is missing here fails a test.
/// </summary>
public static class DataRegistry
{
    public static readonly StoredKind Recordings = new(
        "recordings", TableNames.Recordings, OrgPartitioning.Org, Retention: new(DataKinds.Recordings, nameof(Telephony.RecordingEntity.StoredAt)),
        Lookup: SubjectLookup.CallIdOfFoundCalls, Erasure: ErasureAction.Delete, BlobContainer: HiroiBlobs.Recordings);

    public static readonly StoredKind Messages = new(
        "messages", TableNames.Messages, OrgPartitioning.Org, "msg_", new(DataKinds.Messages, nameof(Telephony.MessageEntity.At)),
        SubjectLookup.CustomerNumber, ErasureAction.Delete);

    /// <summary>A conversation expires once its last message is past the messages' period (its messages went first).</summary>
    public static readonly StoredKind Conversations = new(
        "conversations", TableNames.Messages, OrgPartitioning.Org, "conv_", new(DataKinds.Messages, nameof(Telephony.ConversationEntity.LastMessageAt)),
        SubjectLookup.CustomerNumber, ErasureAction.Delete);

    /// <summary>Finds a call by ACS's server call id; deleted with its call.</summary>
    public static readonly StoredKind CallIndex = new(
        "callIndex", TableNames.CallIndex, OrgPartitioning.IndexNamingOrg, Lookup: SubjectLookup.IndexOfFoundCalls, Erasure: ErasureAction.Delete, RowKeyIsId: false);

    public static readonly StoredKind Calls = new(
        "calls", TableNames.Calls, OrgPartitioning.Org, Retention: new(DataKinds.Calls, nameof(Telephony.CallEntity.StartedAt)),
        Lookup: SubjectLookup.CustomerNumber, Erasure: ErasureAction.Delete);

    /// <summary>What was said on a call with an agent (caller, agent and platform lines), expiring with the calls.</summary>
    public static readonly StoredKind CallTranscripts = new(
        "callTranscripts", TableNames.CallTranscripts, OrgPartitioning.Org, Retention: new(DataKinds.Calls, nameof(Voice.CallTranscriptEntity.At)),
        Lookup: SubjectLookup.CallIdOfFoundCalls, Erasure: ErasureAction.Delete, RowKeyIsId: false);

    /// <summary>An org's connected calls and callers' hourly counts (keyed by a pseudonym, never a number), kept as long as calls.</summary>
    public static readonly StoredKind CallLimits = new(
        "callLimits", TableNames.CallLimits, OrgPartitioning.Org, Retention: new(DataKinds.Calls, nameof(Voice.CallLimitEntity.At)), RowKeyIsId: false);

    public static readonly StoredKind CampaignContacts = new(
        "campaignContacts", TableNames.CampaignContacts, OrgPartitioning.OrgPrefixed, Lookup: SubjectLookup.NumberInEachPartition,
        Erasure: ErasureAction.Delete, RowKeyIsId: false);

    public static readonly StoredKind Contacts = new(
        "contacts", TableNames.Contacts, OrgPartitioning.Org, Lookup: SubjectLookup.ContactIdentifiers, Erasure: ErasureAction.Delete);

    public static readonly StoredKind OptOuts = new(
        "optOuts", TableNames.OptOuts, OrgPartitioning.Org, Lookup: SubjectLookup.NumberPseudonym, Erasure: ErasureAction.StripNumber, RowKeyIsId: false);

    public static readonly StoredKind DoNotContact = new(
        "doNotContact", TableNames.DoNotContact, OrgPartitioning.Org, Lookup: SubjectLookup.NumberPseudonym, Erasure: ErasureAction.StripNumber, RowKeyIsId: false);

    public static readonly StoredKind Membership = new(
        "membership", TableNames.Members, OrgPartitioning.Org, Lookup: SubjectLookup.MemberEmail, Erasure: ErasureAction.Refuse, RowKeyIsId: false);

    public static readonly StoredKind ApiKeys = new("apiKeys", TableNames.ApiKeys, OrgPartitioning.Org);

    public static readonly StoredKind ContactLists = new("contactLists", TableNames.ContactLists, OrgPartitioning.Org);

    public static readonly StoredKind Campaigns = new("campaigns", TableNames.Campaigns, OrgPartitioning.Org);

    public static readonly StoredKind Numbers = new("numbers", TableNames.Numbers, OrgPartitioning.Org);

    public static readonly StoredKind NumberOwners = new("numberOwners", TableNames.NumberOwners, OrgPartitioning.IndexNamingOrg);

    public static readonly StoredKind Agents = new("agents", TableNames.Agents, OrgPartitioning.Org);

    /// <summary>Each agent turn's state and metering (ids and counts, nothing personal), kept as long as messages.</summary>
    public static readonly StoredKind AgentTurns = new(
        "agentTurns", TableNames.AgentUsage, OrgPartitioning.Org, Hiroi.Shared.Agents.AgentTurnEntity.Prefix,
        new(DataKinds.Messages, nameof(Hiroi.Shared.Agents.AgentTurnEntity.At)));

    /// <summary>Daily usage counters and caps per org, agent and channel (counts only), for metering and the usage report.</summary>
    public static readonly StoredKind AgentUsage = new("agentUsage", TableNames.AgentUsage, OrgPartitioning.Org, Hiroi.Shared.Agents.UsageRows.Prefix);

    /// <summary>Org secrets for agent tools, envelope-encrypted (names and ciphertext only).</summary>
    public static readonly StoredKind TenantSecrets = new("tenantSecrets", TableNames.TenantSecrets, OrgPartitioning.Org);

    /// <summary>Widget keys, revoked ones kept as tombstones so an id is never used again (names, origins, sealed signing secrets).</summary>
    public static readonly StoredKind WidgetKeys = new("widgetKeys", TableNames.WidgetKeys, OrgPartitioning.Org);

    /// <summary>Widget transcripts (conversations on the web channel), by when each line was written.</summary>
    public static readonly StoredKind WidgetMessages = new(
        "widgetMessages", TableNames.WidgetSessions, OrgPartitioning.Org, Widget.WidgetMessageEntity.Prefix, new(DataKinds.WidgetSessions, nameof(Widget.WidgetMessageEntity.At)),
        SubjectLookup.WidgetVisitor, ErasureAction.Delete);

    /// <summary>Widget sessions (token hashes, visitor ids, lifetimes), by when they started.</summary>
    public static readonly StoredKind WidgetSessions = new(
        "widgetSessions", TableNames.WidgetSessions, OrgPartitioning.Org, Widget.WidgetSessionEntity.Prefix,
        new(DataKinds.WidgetSessions, nameof(Widget.WidgetSessionEntity.CreatedAt)),
        SubjectLookup.WidgetVisitor, ErasureAction.Delete);

    /// <summary>Signed tokens' ids and solved bot-check challenges already used (hashes), kept as long as sessions.</summary>
    public static readonly StoredKind WidgetTokenIds = new(
        "widgetTokenIds", TableNames.WidgetSessions, OrgPartitioning.Org, Widget.WidgetJtiEntity.Prefix, new(DataKinds.WidgetSessions, nameof(Widget.WidgetJtiEntity.UsedAt)));

    /// <summary>Each widget key's gate its sessions are opened through (a version number, nothing else), gone with the org.</summary>
    public static readonly StoredKind WidgetSessionGates = new("widgetSessionGates", TableNames.WidgetSessions, OrgPartitioning.Org, Widget.WidgetSessionRepository.GatePrefix);

    /// <summary>
    /// Console sessions (hashes of their ids, account and member ids, timeouts), kept the org's auth artefacts period past
    /// their end. Sessions that never chose an org go with the platform's expired rows.
    /// </summary>
    public static readonly StoredKind SignInSessions = new(
        "signInSessions", TableNames.SignInSessions, OrgPartitioning.IndexNamingOrg, Retention: new(DataKinds.AuthArtefacts, nameof(SignIn.SignInSessionEntity.ExpiresAt)),
        RowKeyIsId: false);

    /// <summary>
    /// People's accounts: profile (email, sealed TOTP secret, recovery code hashes), the index of their memberships, their
    /// sessions and passkeys. Not an org's: an account goes with its person's last membership.
    /// </summary>
    public static readonly StoredKind Accounts = new("accounts", TableNames.Accounts, OrgPartitioning.Platform);

    /// <summary>Magic links and email codes (hashes only), deleted by the sweep once expired.</summary>
    public static readonly StoredKind SignInTokens = new("signInTokens", TableNames.SignInTokens, OrgPartitioning.Platform);

    public static readonly StoredKind RetentionSettings = new(
        "retentionSettings", TableNames.Orgs, OrgPartitioning.Org, RetentionEntity.RowKeyValue);

    /// <summary>Audit entries outlive their account anonymized, then expire (the sweep does not audit its own expiry).</summary>
    public static readonly StoredKind AnonymizedAudit = new(
        "anonymizedAudit", TableNames.Audit, OrgPartitioning.Org, Retention: new(DataKinds.AnonymizedAudit, nameof(Audit.AuditEntity.AnonymizedAt), Audited: false),
        KeptByPurge: true);

    /// <summary>A deleted org's tombstone, once its last audit entry has expired.</summary>
    public static readonly StoredKind DeletedOrg = new(
        "deletedOrg", TableNames.Orgs, OrgPartitioning.Org, OrganizationEntity.RowKeyValue,
        new(DataKinds.AnonymizedAudit, nameof(OrganizationEntity.DeletedAt), Audited: false), KeptByPurge: true);

    /// <summary>Event ids already handled (a hash, no personal data), kept a week.</summary>
    public static readonly StoredKind EventClaims = new("eventClaims", TableNames.EventClaims, OrgPartitioning.Platform);

    /// <summary>
    /// The self-host's workflow engine (its default task hub, <c>{prefix}workflows</c>): orchestration history, status and
    /// partition leases. Inputs and outputs are ids, kind names and step outcomes, nothing personal; the retention timer
    /// purges finished instances after <c>Hiroi__RetentionSweep__WorkflowHistoryDays</c>.
    /// </summary>
    public static readonly StoredKind WorkflowHistory = new("workflowHistory", TableNames.WorkflowHub + "History", OrgPartitioning.Platform);

    public static readonly StoredKind WorkflowInstances = new("workflowInstances", TableNames.WorkflowHub + "Instances", OrgPartitioning.Platform);

    public static readonly StoredKind WorkflowPartitions = new("workflowPartitions", TableNames.WorkflowHub + "Partitions", OrgPartitioning.Platform);

    public static readonly IReadOnlyList<StoredKind> All =
    [
        Recordings, CallTranscripts, Messages, Conversations, CallIndex, Calls, CallLimits, CampaignContacts, WidgetMessages, WidgetSessions,
        Contacts, OptOuts, DoNotContact, Membership,
        ApiKeys, ContactLists, Campaigns, Numbers, NumberOwners, Agents, AgentTurns, AgentUsage, TenantSecrets, WidgetKeys, WidgetTokenIds,
        WidgetSessionGates, SignInSessions, RetentionSettings, AnonymizedAudit, DeletedOrg, EventClaims,
        Accounts, SignInTokens,
        WorkflowHistory, WorkflowInstances, WorkflowPartitions,
    ];

    /// <summary>The blob containers of the self-host's workflow engine (leases and payloads too large for a queue message).</summary>
    public static readonly IReadOnlyList<string> WorkflowContainers =
        [TableNames.WorkflowHub + "-applease", TableNames.WorkflowHub + "-leases", TableNames.WorkflowHub + "-largemessages"];

    /// <summary>
    /// The queues of work handed off requests (each with its <c>-poison</c> queue), by logical name. Sign-in mail
    /// requests hold an address and the asker's IP: personal data, kept at most an hour (the messages' time to live), a
    /// week once poisoned; audit messages hold an account id, kept a week. Messages expire by themselves, so the sweep,
    /// the purge and erasure do not visit them.
    /// </summary>
    public static readonly IReadOnlyList<string> HandOffQueues =
    [
        SignIn.SignInMailbox.QueueName, SignIn.SignInMailbox.QueueName + HandOffs.HandOffQueues.PoisonSuffix,
        SignIn.AccountAuditInbox.QueueName, SignIn.AccountAuditInbox.QueueName + HandOffs.HandOffQueues.PoisonSuffix,
    ];

    /// <summary>The kinds the retention sweep expires per org, in sweep order.</summary>
    public static IEnumerable<StoredKind> Expiring => All.Where(k => k.Retention is not null);

    /// <summary>The kinds that hold something about a person.</summary>
    public static IEnumerable<StoredKind> Personal => All.Where(k => k.IsPersonal);

    public static StoredKind? Find(string name) => All.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.Ordinal));
}
