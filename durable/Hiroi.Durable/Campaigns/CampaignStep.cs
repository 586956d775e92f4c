using Hiroi.Shared.Acs;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Durable.Campaigns;

/// <summary>
/// One checkpointed step of a campaign, free of host types: its orchestration runs it as an activity in either host. A
/// step loads the campaign, honours pause and cancel, enrolls the list a page at a time, then takes the contacts that
/// are due: the policy gate runs right before the batch is sent, a dispatch intent (campaign, contact, attempt) is
/// recorded under each contact's ETag before anything is sent, and the send carries that key as ACS's repeatability id.
/// A rerun after a crash finds the intent and sends the same attempt again, which ACS treats as the same request. A send
/// that fails (ACS 5xx or a timeout after the client's own retries) keeps its attempt and is tried again after a back-off;
/// a 429 pauses its sender alone for the Retry-After. An attempt that fails <see cref="CampaignOptions.SendTries"/> times,
/// or that ACS refuses outright, ends as <see cref="Outcomes.SendFailed"/> with the reason on the contact. The step ends
/// with a checkpoint of the campaign row under its ETag; one that loses to a command's write simply steps again.
/// </summary>
public sealed class CampaignStep(
    CampaignRepository campaigns, CampaignContactRepository contacts, ContactRepository listContacts, PolicyGate gate,
    CampaignDispatcher dispatcher, IOptions<CampaignOptions> options, TimeProvider time, ILogger<CampaignStep> logger)
{
    private const int EnrollPage = 100;
    private const int EndPage = 1000;

    public async Task<StepOutcome> RunAsync(OrgId org, string campaignId, CancellationToken cancellationToken)
    {
        var campaign = await campaigns.FindAsync(org, campaignId, cancellationToken).ConfigureAwait(false);
        if (campaign is null)
        {
            return StepOutcome.Stop("gone");
        }

        if (campaign.State != CampaignStates.Running)
        {
            return StepOutcome.Stop(campaign.State);
        }

        var now = time.GetUtcNow();
        StepOutcome outcome = !campaign.Enrolled
            ? await EnrollAsync(org, campaign, cancellationToken).ConfigureAwait(false)
            : await DispatchDueAsync(org, campaign, now, cancellationToken).ConfigureAwait(false);
        campaign.LastStepAt = now;
        campaign.NextEligibleAt = outcome.Kind == StepKind.DeferUntil ? outcome.At : null;
        return await CheckpointAsync(org, campaign, cancellationToken).ConfigureAwait(false) ? outcome : StepOutcome.Continue();
    }

    /// <summary>
    /// Writes the step's checkpoint under the row's ETag. When a command (pause, resume, cancel) wrote meanwhile, the
    /// step's progress (enrollment cursor, pacing, the day's count, and an end it reached) goes onto the fresh row, whose
    /// state the command set; false then, so the workflow steps again and honours the command.
    /// </summary>
    private async Task<bool> CheckpointAsync(OrgId org, CampaignEntity campaign, CancellationToken cancellationToken)
    {
        try
        {
            await campaigns.UpdateAsync(org, campaign, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (ConflictException)
        {
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await campaigns.FindAsync(org, campaign.RowKey, cancellationToken).ConfigureAwait(false) is not { } fresh)
            {
                return false;
            }

            (fresh.EnrollCursor, fresh.Enrolled, fresh.DayKey, fresh.DispatchedToday) = (campaign.EnrollCursor, campaign.Enrolled, campaign.DayKey, campaign.DispatchedToday);
            (fresh.SenderRecentSends, fresh.SenderCursor, fresh.LastStepAt, fresh.NextEligibleAt, fresh.SenderPausedUntil) =
                (campaign.SenderRecentSends, campaign.SenderCursor, campaign.LastStepAt, campaign.NextEligibleAt, campaign.SenderPausedUntil);
            if (CampaignStates.IsFinal(campaign.State) && !CampaignStates.IsFinal(fresh.State))
            {
                (fresh.State, fresh.FailureReason, fresh.FinishedAt) = (campaign.State, campaign.FailureReason, campaign.FinishedAt);
            }

            try
            {
                await campaigns.UpdateAsync(org, fresh, CancellationToken.None).ConfigureAwait(false);
                return false;
            }
            catch (ConflictException)
            {
                // Another command landed: merge onto that one.
            }
        }

        return false;
    }

    private async Task<StepOutcome> EnrollAsync(OrgId org, CampaignEntity campaign, CancellationToken cancellationToken)
    {
        var (page, next) = await listContacts.PageAsync(org, campaign.ListId, EnrollPage, campaign.EnrollCursor, cancellationToken).ConfigureAwait(false);
        var enrolled = page.Select(c => new CampaignContactEntity
        {
            RowKey = c.Number, TimeZone = c.TimeZone, SmsConsent = c.SmsConsent, CallConsent = c.CallConsent, DueAt = DateTimeOffset.UnixEpoch,
        }).ToList();
        await contacts.EnrollAsync(org, campaign.RowKey, enrolled, cancellationToken).ConfigureAwait(false);
        campaign.EnrollCursor = next;
        campaign.Enrolled = next is null;
        return StepOutcome.Continue();
    }

    private async Task<StepOutcome> DispatchDueAsync(OrgId org, CampaignEntity campaign, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (campaign.EndsAt <= now)
        {
            return await EndAsync(org, campaign, now, cancellationToken).ConfigureAwait(false);
        }

        var due = await contacts.DueAsync(org, campaign.RowKey, now, options.Value.StepBatchSize, cancellationToken).ConfigureAwait(false);
        if (due.Count == 0)
        {
            var (nextDue, awaiting) = await contacts.NextDueAsync(org, campaign.RowKey, cancellationToken).ConfigureAwait(false);
            if (nextDue is null)
            {
                campaign.State = CampaignStates.Completed;
                campaign.FinishedAt = now;
                return StepOutcome.Stop(CampaignStates.Completed);
            }

            var check = now + TimeSpan.FromSeconds(options.Value.AwaitingCheckSeconds);
            var wakeAt = awaiting && check < nextDue ? check : nextDue.Value;
            return StepOutcome.DeferUntil(campaign.EndsAt < wakeAt ? campaign.EndsAt.Value : wakeAt);
        }

        var pacing = new SenderPacing(campaign);
        var listed = await gate.DoNotContactAmongAsync(org, [.. due.Select(c => c.Number)], cancellationToken).ConfigureAwait(false);
        var changes = new List<CampaignContactEntity>();
        var intents = new List<CampaignContactEntity>();
        StepOutcome outcome = StepOutcome.Continue();
        foreach (var contact in due)
        {
            if (contact.State == ContactStates.Awaiting)
            {
                // No outcome arrived in time: the attempt counts as sent.
                RetryPolicy.Settle(campaign, contact, Outcomes.Sent, now);
                changes.Add(contact);
                continue;
            }

            if (pacing.CapReachedUntil(now) is { } capEnds)
            {
                outcome = StepOutcome.DeferUntil(capEnds);
                break;
            }

            var (sender, freeAt) = pacing.Next(now);
            if (sender is null)
            {
                outcome = StepOutcome.DeferUntil(freeAt);
                break;
            }

            if (contact is { State: ContactStates.Dispatching, Sender: { } kept } && pacing.PausedUntil(kept, now) is { } resumes)
            {
                // An attempt keeps its sender (the same request to ACS): it waits for that sender's pause to end.
                (contact.DueAt, contact.Reason) = (resumes, SenderThrottled);
                changes.Add(contact);
                continue;
            }

            var decision = gate.Evaluate(campaign, contact, now, listed);
            if (decision is not GateDecision.Go)
            {
                ApplyGate(contact, decision);
                changes.Add(contact);
                continue;
            }

            RecordIntent(contact, sender, now);
            pacing.Used(contact.Sender!, now);
            intents.Add(contact);
        }

        // One transaction records every intent (and the skips and deferrals) before anything is sent; a contact another
        // worker changed meanwhile drops out and is not sent by this step.
        var recorded = await contacts.TryReplaceManyAsync(org, campaign.RowKey, [.. changes, .. intents], cancellationToken).ConfigureAwait(false);
        // The recorded intents go out several at a time (each send is a round trip to ACS); each changes only its contact.
        var results = new System.Collections.Concurrent.ConcurrentBag<CampaignContactEntity>();
        var throttled = new System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var senderRefused = false;
        // Once intents are recorded, the sends go out and their results are written even if the host is stopping: a send
        // whose result is lost is sent again (the same request) only after the intent's lease.
        try
        {
            await Parallel.ForEachAsync(intents.Where(recorded.Contains), new ParallelOptions
            {
                MaxDegreeOfParallelism = options.Value.DispatchConcurrency,
            }, async (contact, token) =>
            {
                switch (await DispatchAsync(org, campaign, contact, now, throttled, token).ConfigureAwait(false))
                {
                    case DispatchChange.Changed:
                        results.Add(contact);
                        break;
                    case DispatchChange.SenderRefused:
                        senderRefused = true;
                        break;
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            // A delivery report may have settled a contact already; then its row has moved on and keeps what the report wrote.
            await contacts.TryReplaceManyAsync(org, campaign.RowKey, [.. results], CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var (sender, until) in throttled)
        {
            pacing.Pause(sender, until, now);
        }
        if (senderRefused)
        {
            campaign.State = CampaignStates.Failed;
            campaign.FailureReason = "A sender number is not registered to this org.";
            campaign.FinishedAt = now;
            return StepOutcome.Stop(CampaignStates.Failed);
        }

        return outcome;
    }

    /// <summary>The reason a contact waits while ACS throttles its sender.</summary>
    public const string SenderThrottled = "sender-throttled";

    /// <summary>
    /// A send that failed: refused by ACS (a 4xx a retry cannot fix), or failed <see cref="CampaignOptions.SendTries"/>
    /// times, ends the attempt as <see cref="Outcomes.SendFailed"/> with the reason; else the same attempt (the same
    /// repeatability id: a send whose answer was lost is not sent twice) is due again after a back-off, or, on a 429,
    /// when its sender's pause ends.
    /// </summary>
    private void SendFailed(CampaignEntity campaign, CampaignContactEntity contact, Exception e,
        System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> throttled)
    {
        var failedAt = time.GetUtcNow();
        var settings = options.Value;
        contact.SendFailures++;
        var why = e switch
        {
            AcsRequestException refused => $"ACS refused the send ({refused.Status})",
            HttpRequestException { StatusCode: { } status } => $"ACS answered {(int)status}",
            HttpRequestException { InnerException: TimeoutException or OperationCanceledException } => "ACS did not answer in time",
            HttpRequestException => "ACS could not be reached",
            _ => "a dependency failed",
        };
        if (e is AcsRequestException || contact.SendFailures >= settings.SendTries)
        {
            logger.LogWarning("Campaign {CampaignId} attempt {Attempt} not sent after {Tries} tries: {Reason}", campaign.RowKey, contact.Attempt, contact.SendFailures, why);
            (contact.State, contact.Open, contact.Outcome, contact.SettledAt) = (ContactStates.Done, false, Outcomes.SendFailed, failedAt);
            contact.Reason = e is AcsRequestException ? why : $"{why}; not sent after {contact.SendFailures} tries";
            return;
        }

        logger.LogWarning("Campaign {CampaignId} attempt {Attempt} send {Try} failed ({Reason}); the same attempt is tried again",
            campaign.RowKey, contact.Attempt, contact.SendFailures, why);
        if (e is AcsThrottledException throttle)
        {
            var until = failedAt + (throttle.RetryAfter ?? TimeSpan.FromSeconds(settings.SendRetrySeconds));
            throttled.AddOrUpdate(contact.Sender!, until, (_, current) => current > until ? current : until);
            (contact.DueAt, contact.Reason) = (until, SenderThrottled);
            return;
        }

        var backoff = TimeSpan.FromSeconds(Math.Min(3600, settings.SendRetrySeconds * Math.Pow(2, contact.SendFailures - 1)));
        (contact.DueAt, contact.Reason) = (failedAt + backoff, why + "; retrying");
    }

    private enum DispatchChange
    {
        Unchanged,
        Changed,
        SenderRefused,
    }

    private void RecordIntent(CampaignContactEntity contact, string sender, DateTimeOffset now)
    {
        if (contact.State != ContactStates.Dispatching)
        {
            contact.Attempt++;
            contact.SendFailures = 0;
            contact.State = ContactStates.Dispatching;
            contact.IntentAt = now;
            contact.Sender = sender;
        }

        // A rerun after a crash keeps the attempt and its sender: the same key, the same request to ACS.
        contact.DueAt = now + TimeSpan.FromSeconds(options.Value.IntentLeaseSeconds);
        contact.Reason = null;
    }

    /// <summary>
    /// Past the campaign's end: contacts not yet dispatched are skipped; attempts already sent keep waiting for their
    /// outcome (or its timeout). The campaign completes when none is open.
    /// </summary>
    private async Task<StepOutcome> EndAsync(OrgId org, CampaignEntity campaign, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var open = await contacts.DueAsync(org, campaign.RowKey, DateTimeOffset.MaxValue, EndPage, cancellationToken).ConfigureAwait(false);
        var changed = false;
        foreach (var contact in open.Where(c => c.State != ContactStates.Awaiting || c.DueAt <= now))
        {
            if (contact.State == ContactStates.Awaiting)
            {
                RetryPolicy.Settle(campaign, contact, Outcomes.Sent, now);
            }
            else
            {
                ApplyGate(contact, new GateDecision.Skip(SkipReasons.CampaignEnded));
            }

            await contacts.TryReplaceAsync(org, campaign.RowKey, contact, cancellationToken).ConfigureAwait(false);
            changed = true;
        }

        if (changed)
        {
            return StepOutcome.Continue();
        }

        if (open.Count > 0)
        {
            var check = now + TimeSpan.FromSeconds(options.Value.AwaitingCheckSeconds);
            var firstTimeout = open.Min(c => c.DueAt);
            return StepOutcome.DeferUntil(check < firstTimeout ? check : firstTimeout);
        }

        campaign.State = CampaignStates.Completed;
        campaign.FinishedAt = now;
        return StepOutcome.Stop(CampaignStates.Completed);
    }

    private static void ApplyGate(CampaignContactEntity contact, GateDecision decision)
    {
        switch (decision)
        {
            case GateDecision.Skip skip:
                contact.State = ContactStates.Skipped;
                contact.Open = false;
                contact.Reason = skip.Reason;
                break;
            case GateDecision.Defer defer:
                contact.DueAt = defer.Until;
                contact.Reason = defer.Reason;
                break;
        }
    }

    /// <summary>
    /// Sends a recorded intent and applies the result to the contact (the caller writes it). Returns whether the contact
    /// changed, or that the sender was refused (the campaign cannot go on). A sender ACS throttled in this step
    /// (<paramref name="throttled"/>) sends nothing more in it: its contacts wait for the pause to end.
    /// </summary>
    private async Task<DispatchChange> DispatchAsync(
        OrgId org, CampaignEntity campaign, CampaignContactEntity contact, DateTimeOffset now,
        System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> throttled, CancellationToken cancellationToken)
    {
        if (!gate.IsWindowOpen(campaign, contact, time.GetUtcNow()))
        {
            return DispatchChange.Unchanged; // the window closed while the batch was going out: the intent waits, and is gated again
        }

        if (throttled.TryGetValue(contact.Sender!, out var resumes))
        {
            (contact.DueAt, contact.Reason) = (resumes, SenderThrottled);
            return DispatchChange.Changed;
        }

        DispatchResult result;
        try
        {
            result = await dispatcher.DispatchAsync(org, campaign, contact, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AcsRequestException or HttpRequestException || TransientFaults.IsTransient(e))
        {
            SendFailed(campaign, contact, e, throttled);
            return DispatchChange.Changed;
        }

        switch (result.Status)
        {
            case DispatchStatus.Sent:
                contact.State = ContactStates.Awaiting;
                contact.DispatchedAt = now;
                contact.DueAt = now + TimeSpan.FromSeconds(campaign.OutcomeTimeoutSeconds);
                if (campaign.Channel == Channels.Call)
                {
                    contact.CallId = result.Id;
                }
                else
                {
                    contact.MessageId = result.Id;
                }

                return DispatchChange.Changed;
            case DispatchStatus.OptedOut:
                ApplyGate(contact, new GateDecision.Skip(SkipReasons.OptedOut));
                return DispatchChange.Changed;
            case DispatchStatus.Rejected:
                RetryPolicy.Settle(campaign, contact, Outcomes.Rejected, now);
                return DispatchChange.Changed;
            default:
                return DispatchChange.SenderRefused;
        }
    }
}
