using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Security;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Widget;

/// <summary>Why a widget request was refused: an HTTP status and what to tell the page (no secret, nothing of another org).</summary>
public sealed record WidgetRefusal(int Status, string Title, string Detail);

/// <summary>What opens a session: the page's origin, its visitor id (origin mode) or signed token, and the bot-check evidence.</summary>
public sealed record SessionRequest(string? Origin, string? VisitorId, string? Token, BotEvidence Evidence);

public sealed record OpenedSession(string Token, string SessionId, DateTimeOffset EndsAt, int HeartbeatSeconds, int IdleSeconds);

/// <summary>A live session a request proved it holds, with its key and org.</summary>
public sealed record HeldSession(OrgId Org, WidgetKeyEntity Key, WidgetSessionEntity Session);

/// <summary>
/// The widget's sessions: opened from a key plus its exact origin, or a signed token (one session per jti; a solved
/// challenge opens one too), within the key's limits, counted and written in one step so concurrent opens cannot pass
/// them; kept alive by heartbeats and messages; ended by idleness, their maximum duration, a broken quota, the key's
/// revocation or the page. An ended session's token is refused for good. Each message takes its slot of the session's
/// quota (and its transcript lines' sequence) before its turn, then goes to the key's agent within its caps.
/// </summary>
public sealed class WidgetSessions(
    WidgetKeyRepository keys, WidgetKeyService keyService, WidgetSessionRepository sessions, WidgetMessageRepository transcript,
    IWidgetBotCheck botCheck, AgentRepository agents, MeteredAgentTurn turns, UsageMeter meter, AuditTrail audit, IOptions<WidgetOptions> options, TimeProvider time)
{
    public const string Channel = "web";

    private WidgetOptions Settings => options.Value;
    private TimeSpan Idle => TimeSpan.FromSeconds(Settings.IdleSeconds);

    /// <summary>The key a request names; with <paramref name="usable"/>, only while it may open sessions (not revoked, not rotated out).</summary>
    public async Task<(OrgId Org, WidgetKeyEntity Key)?> KeyAsync(string keyId, bool usable, CancellationToken cancellationToken) =>
        await keys.ResolveAsync(keyId, cancellationToken).ConfigureAwait(false) is { } found && (!usable || found.Key.IsUsable(time.GetUtcNow())) ? found : null;

    /// <summary>Counts a refused origin against the key (usage shows them, apart from its cap counters), then says no.</summary>
    public async Task<WidgetRefusal> RefuseOriginAsync(OrgId org, WidgetKeyEntity key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await meter.CountRefusedOriginAsync(org, key.RowKey, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return OriginRefusal;
    }

    public static readonly WidgetRefusal OriginRefusal = new(403, "Origin not allowed", "This widget key serves only its own sites' pages (their Origin header).");

    public async Task<(OpenedSession? Session, WidgetRefusal? Refusal)> OpenAsync(OrgId org, WidgetKeyEntity key, SessionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        if (Settings.BotCheck && await botCheck.RefusalAsync(key.RowKey, request.Evidence, cancellationToken).ConfigureAwait(false) is { } bot)
        {
            return (null, new WidgetRefusal(403, "Bot check failed", bot));
        }

        string visitor;
        string? email = null;
        WidgetJtiEntity? tokenUsed = null;
        if (key.Mode == WidgetModes.SignedTokens)
        {
            var secrets = await keyService.SigningSecretsAsync(org, key, cancellationToken).ConfigureAwait(false);
            var verdict = WidgetTokens.Verify(request.Token, key.RowKey, kid => secrets.GetValueOrDefault(kid), now,
                TimeSpan.FromMinutes(Settings.TokenMaxTtlMinutes), TimeSpan.FromSeconds(Settings.ClockSkewSeconds), out var claims);
            if (verdict != WidgetTokenRefusal.None)
            {
                return (null, new WidgetRefusal(401, "Token refused", TokenReason(verdict)));
            }

            if (!WidgetVisitors.IsVisitorId(claims!.Subject))
            {
                return (null, new WidgetRefusal(401, "Token refused", "The token's sub must be 1 to 128 characters of text."));
            }

            visitor = claims.Subject;
            email = claims.Email is not null && Tenancy.MemberEmails.TryNormalize(claims.Email, out var normalized) ? normalized : null;
            tokenUsed = WidgetJtiRepository.TokenUsed(key.RowKey, claims.Jti, now); // marked with the session, last: a 429 leaves it usable
        }
        else if (request.VisitorId is { Length: >= 8 and <= 64 } id && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            visitor = id;
        }
        else
        {
            return (null, new WidgetRefusal(400, "Bad visitor id", "visitorId must be 8 to 64 characters of A-Z a-z 0-9 - _."));
        }

        var challengeUsed = Settings.BotCheck && botCheck.SingleUseId(request.Evidence) is { } challenge ? WidgetJtiRepository.ChallengeUsed(key.RowKey, challenge, now) : null;
        var (sessionId, token, hash) = WidgetSessionTokens.New();
        var session = new WidgetSessionEntity
        {
            RowKey = sessionId, KeyId = key.RowKey, VisitorId = visitor, Email = email, TokenHash = hash, CreatedAt = now, LastSeenAt = now,
            EndsAt = now.AddMinutes(Settings.MaxSessionMinutes), MinuteStartedAt = now,
        };
        var refusal = await sessions.OpenWithinLimitsAsync(org, session, key.MaxSessions, key.MaxSessionsPerVisitor, tokenUsed, challengeUsed, Idle, cancellationToken)
            .ConfigureAwait(false) switch
        {
            SessionOpening.KeyFull => new WidgetRefusal(429, "Too many sessions", $"This widget key has its {key.MaxSessions} concurrent sessions; try again later."),
            SessionOpening.VisitorFull => new WidgetRefusal(429, "Too many sessions", $"This visitor has {key.MaxSessionsPerVisitor} open sessions; close one first."),
            SessionOpening.TokenUsed => new WidgetRefusal(401, "Token refused", "This token was already used to open a session; mint a new one."),
            SessionOpening.ChallengeUsed => new WidgetRefusal(403, "Bot check failed", "This challenge was already used to open a session; solve a new one."),
            _ => null,
        };
        if (refusal is not null)
        {
            return (null, refusal);
        }

        await meter.CountWidgetSessionAsync(org, key.RowKey, now, cancellationToken).ConfigureAwait(false);
        return (new OpenedSession(token, sessionId, session.EndsAt, Settings.HeartbeatSeconds, Settings.IdleSeconds), null);
    }

    /// <summary>The live session <paramref name="token"/> names under this key, or why not (an ended session says how it ended, and is ended for good).</summary>
    public async Task<(HeldSession? Held, WidgetRefusal? Refusal)> HoldAsync(OrgId org, WidgetKeyEntity key, string? token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var gone = new WidgetRefusal(401, "No session", "The session token is missing or unknown.");
        if (!WidgetSessionTokens.TryRead(token, out var sessionId, out var hash)
            || await sessions.FindAsync(org, sessionId, cancellationToken).ConfigureAwait(false) is not { } session
            || session.KeyId != key.RowKey || !WidgetSessionTokens.Matches(session, hash))
        {
            return (null, gone);
        }

        var now = time.GetUtcNow();
        var reason = session.EndReason
            ?? (!key.IsUsable(now) ? "the widget key was revoked or rotated out"
            : session.EndsAt <= now ? "the session reached its maximum duration"
            : now - session.LastSeenAt >= Idle ? "the session was idle too long"
            : null);
        if (reason is not null)
        {
            await EndAsync(org, session, reason, cancellationToken).ConfigureAwait(false);
            return (null, Ended(reason));
        }

        return (new HeldSession(org, key, session), null);
    }

    public async Task<DateTimeOffset> HeartbeatAsync(HeldSession held, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(held);
        var now = time.GetUtcNow();
        await sessions.ChangeAsync(held.Org, held.Session, s => (true, s is { EndedAt: null } && Touch(s, now)), cancellationToken).ConfigureAwait(false);
        return now + Idle;
    }

    /// <summary>
    /// Sends the visitor's text to the key's agent and returns its reply. The message's slot of the session's quota is
    /// taken first (a broken quota ends the session), given back only when no model call was made; its transcript lines
    /// are written whatever the caller does meanwhile, since the turn they record was paid for.
    /// </summary>
    public async Task<(string? Reply, WidgetRefusal? Refusal)> MessageAsync(HeldSession held, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(held);
        // PCI: a card number typed into the chat reaches neither the model nor the transcript.
        text = CardNumbers.Mask(text);
        var (org, key, session) = held;
        var now = time.GetUtcNow();
        var (line, quota) = await sessions.ChangeAsync(org, session, s => TakeMessage(s, key, now), cancellationToken).ConfigureAwait(false);
        if (quota is not null)
        {
            return (null, quota);
        }

        if (await agents.FindAsync(org, key.AgentId, cancellationToken).ConfigureAwait(false) is not { } agent)
        {
            await GiveMessageBackAsync(org, session).ConfigureAwait(false);
            return (null, new WidgetRefusal(503, "Agent unavailable", "The agent behind this widget is not available."));
        }

        var history = await transcript.InSessionAsync(org, session.RowKey, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var conversation = history.OrderBy(m => m.RowKey, StringComparer.Ordinal)
            .Select(m => new ChatMessage(m.Role == "visitor" ? ChatRole.User : ChatRole.Assistant, m.Text))
            .Append(new ChatMessage(ChatRole.User, text));
        var outcome = await turns.RunAsync(org, agent, Channel, conversation, cancellationToken, key.Caps()).ConfigureAwait(false);
        if (outcome.Refusal is { } refusal)
        {
            if (outcome.InputTokens + outcome.OutputTokens == 0)
            {
                await GiveMessageBackAsync(org, session).ConfigureAwait(false); // refused before any model call: the message cost nothing
            }

            await audit.RecordAsync(Caller.System(org, "agent:" + agent.RowKey), AuditActions.AgentTurnRefused, "agent:" + agent.RowKey, refusal.Reason, CancellationToken.None)
                .ConfigureAwait(false);
            return (null, new WidgetRefusal(429, "Daily limit reached", "The assistant cannot take more messages today."));
        }

        var reply = outcome.Text ?? string.Empty;
        await transcript.UpsertBatchAsync(org,
        [
            new WidgetMessageEntity
            {
                RowKey = Line(session.RowKey, line), SessionId = session.RowKey, VisitorId = session.VisitorId, Email = session.Email,
                Role = "visitor", Text = text, At = now,
            },
            new WidgetMessageEntity
            {
                RowKey = Line(session.RowKey, line + 1), SessionId = session.RowKey, VisitorId = session.VisitorId, Email = session.Email,
                Role = "agent", Text = reply, At = time.GetUtcNow(),
            },
        ], Azure.Data.Tables.TableUpdateMode.Replace, CancellationToken.None).ConfigureAwait(false);
        var seen = time.GetUtcNow();
        await sessions.ChangeAsync(org, session, s => (true, s is not null && Touch(s, seen)), CancellationToken.None).ConfigureAwait(false);
        return (reply, null);
    }

    /// <summary>
    /// A message's slot: the quota counted and the transcript lines' sequence taken, or the quota refusal (which ends the
    /// session), with whether the session row changed.
    /// </summary>
    private ((int Line, WidgetRefusal? Refusal) Slot, bool Write) TakeMessage(WidgetSessionEntity? session, WidgetKeyEntity key, DateTimeOffset now)
    {
        if (session is null || session.EndReason is not null)
        {
            return ((0, Ended(session?.EndReason ?? "the session is gone")), false);
        }

        if (session.Messages >= key.MessagesPerSession)
        {
            return ((0, new WidgetRefusal(429, "Message quota reached", $"A session may send {key.MessagesPerSession} messages; the session has ended.")),
                End(session, "the session used up its messages", now));
        }

        if (now - session.MinuteStartedAt >= TimeSpan.FromMinutes(1))
        {
            (session.MinuteStartedAt, session.MessagesThisMinute) = (now, 0);
        }

        if (session.MessagesThisMinute >= Settings.MessagesPerMinute)
        {
            return ((0, new WidgetRefusal(429, "Too many messages", $"At most {Settings.MessagesPerMinute} messages a minute; the session has ended.")),
                End(session, "the session sent messages too fast", now));
        }

        // Sessions from before NextLine was kept wrote two lines per message from zero.
        var line = Math.Max(session.NextLine, session.Messages * 2);
        session.NextLine = line + 2;
        session.Messages++;
        session.MessagesThisMinute++;
        Touch(session, now);
        return ((line, null), true);
    }

    /// <summary>Gives a message's quota slot back (its lines' sequence stays taken): no model call was made for it.</summary>
    private async Task GiveMessageBackAsync(OrgId org, WidgetSessionEntity session) =>
        await sessions.ChangeAsync(org, session, s =>
        {
            if (s is null || s.Messages == 0)
            {
                return (true, false);
            }

            s.Messages--;
            s.MessagesThisMinute = Math.Max(0, s.MessagesThisMinute - 1);
            return (true, true);
        }, CancellationToken.None).ConfigureAwait(false);

    public async Task EndAsync(OrgId org, WidgetSessionEntity session, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var now = time.GetUtcNow();
        await sessions.ChangeAsync(org, session, s => (true, s is { EndedAt: null } && End(s, reason, now)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the session ended (true: a change to write).</summary>
    private static bool End(WidgetSessionEntity session, string reason, DateTimeOffset now)
    {
        (session.EndedAt, session.EndReason, session.Open) = (now, reason, false);
        return true;
    }

    /// <summary>Moves the session's last sign of life on, never back (true: a change to write).</summary>
    private static bool Touch(WidgetSessionEntity session, DateTimeOffset now)
    {
        if (session.LastSeenAt >= now)
        {
            return false;
        }

        session.LastSeenAt = now;
        return true;
    }

    public static WidgetRefusal Ended(string reason) => new(410, "Session ended", reason);

    private static string Line(string sessionId, int sequence) => $"{WidgetMessageEntity.Prefix}{sessionId}_{sequence:D4}";

    private static string TokenReason(WidgetTokenRefusal verdict) => verdict switch
    {
        WidgetTokenRefusal.Algorithm => "Only HS256 tokens are accepted.",
        WidgetTokenRefusal.Expired => "The token has expired.",
        WidgetTokenRefusal.NotYetValid => "The token is not valid yet.",
        WidgetTokenRefusal.TooLong => $"A token may live at most the widget's maximum TTL.",
        WidgetTokenRefusal.OtherSite => "The token was minted for another widget key.",
        WidgetTokenRefusal.UnknownKey or WidgetTokenRefusal.Signature => "The token's signature does not verify.",
        _ => "A signed token (compact JWS) is required.",
    };
}
