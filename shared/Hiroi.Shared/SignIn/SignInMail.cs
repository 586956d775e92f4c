using Hiroi.Shared.Acs;
using Hiroi.Shared.HandOffs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.SignIn;

public enum SignInMailKind
{
    Link,
    Code,
    Invitation,
}

/// <summary>
/// A request for a sign-in mail to an address that may or may not have an account, and who asked: the client IP, and
/// the person's trusted device when it was theirs (its mails, and a code it asks for, are its own).
/// </summary>
public sealed record SignInMailRequest(string NormalizedEmail, SignInMailKind Kind, string? ClientIp = null, string? Device = null);

/// <summary>
/// Sign-in mails are sent off the request path: asking for a link or a code only queues the address (one write to a
/// durable queue, done before the answer), so the answer is the same, at the same speed, whether or not the address has
/// an account. A request waits at most an hour: a sign-in mail later than that is not one the person is still waiting for.
/// </summary>
public sealed class SignInMailbox(HandOffQueues queues, TimeProvider time) : HandOffInbox<SignInMailRequest>(queues, time, QueueName, TimeSpan.FromHours(1))
{
    public const string QueueName = "signinmail";
}

/// <summary>
/// Sends queued sign-in mails through ACS Email: only to addresses with an account, at most a few per asker per quarter
/// hour (a slot taken before anything is issued), each carrying one link or one code and nothing else secret. The
/// address is never logged. Each queued request is sent once: its hand-off id is ACS's repeatability id.
/// </summary>
public sealed class SignInMailSender(
    AccountRepository accounts, SignInTokenStore tokens, SignInThrottle throttle, IServiceProvider services,
    IOptions<SignInOptions> options, TimeProvider time, ILogger<SignInMailSender> logger) : IHandOffHandler<SignInMailRequest>
{
    public Task HandleAsync(HandOff<SignInMailRequest> handOff, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handOff);
        return SendAsync(handOff.Item, handOff.Id, handOff.At, cancellationToken);
    }

    /// <summary>Sends one mail now, as a request of its own (tests call this; the queue's readers go through <see cref="HandleAsync"/>).</summary>
    public Task SendAsync(SignInMailRequest request, CancellationToken cancellationToken) => SendAsync(request, Guid.NewGuid(), time.GetUtcNow(), cancellationToken);

    private async Task SendAsync(SignInMailRequest request, Guid repeatabilityId, DateTimeOffset firstSent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        var accountId = AccountIds.For(request.NormalizedEmail);
        if (!await throttle.TakeMailAsync(accountId, request.ClientIp, request.Device, settings, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (!await accounts.MembershipsAsync(accountId, cancellationToken).AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            if (request.Kind == SignInMailKind.Code)
            {
                // A code nobody receives: a wrong code then costs the same (a try counted on a stored code) whether or
                // not the address has an account. It signs in nobody: there is no account to start a session for.
                await tokens.IssueCodeAsync(accountId, request.Device, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(settings.SenderAddress) || !Uri.TryCreate(settings.PublicBaseUrl, UriKind.Absolute, out var console))
        {
            logger.LogWarning("Sign-in mail not sent: set {Section}:SenderAddress and {Section}:PublicBaseUrl", SignInOptions.Section, SignInOptions.Section);
            return;
        }

        var (subject, body) = request.Kind switch
        {
            SignInMailKind.Code => ("Your Hiroi sign-in code", CodeBody(await tokens.IssueCodeAsync(accountId, request.Device, cancellationToken).ConfigureAwait(false), settings)),
            SignInMailKind.Invitation =>
                ("You are invited to Hiroi", LinkBody(console, await tokens.IssueLinkAsync(accountId, cancellationToken).ConfigureAwait(false), settings, invited: true)),
            _ => ("Your Hiroi sign-in link", LinkBody(console, await tokens.IssueLinkAsync(accountId, cancellationToken).ConfigureAwait(false), settings, invited: false)),
        };
        // Resolved per mail: the ACS client is a typed HttpClient, whose handlers rotate; a singleton must not keep one.
        var acs = services.GetRequiredService<IAcsClient>();
        string id;
        try
        {
            // One repeatability id for this mail (its hand-off message's id): the ACS client's retries (429 with its
            // Retry-After, 5xx, a hung attempt) and a redelivered message resend the same request, so it is not sent twice.
            id = await acs.SendEmailAsync(
                new EmailRequest(settings.SenderAddress, request.NormalizedEmail, subject, body, repeatabilityId, firstSent), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or AcsRequestException)
        {
            // Every retry of this delivery failed: recorded under the account (no org is in play for a sign-in mail),
            // never silent; the message is delivered again, and set aside as poison after the last delivery.
            services.GetRequiredService<AccountAudit>().RecordWithoutOrg(accountId, Audit.AuditActions.SignInMailFailed, $"{request.Kind}: {e.Message}");
            throw;
        }

        logger.LogInformation("Sign-in mail ({Kind}) handed to ACS Email as operation {OperationId}", request.Kind, id);
    }

    /// <summary>The link's token rides in the fragment: it never reaches a server log, and opening the page does not use it.</summary>
    public static string LinkFor(Uri console, string token) => new Uri(console, "/console/link").AbsoluteUri + "#token=" + token;

    private static string LinkBody(Uri console, string token, SignInOptions settings, bool invited) =>
        (invited ? "You have been added to an organization on Hiroi.\n\n" : string.Empty)
        + $"Open this link to sign in to Hiroi. It works once, for {settings.MagicLinkMinutes} minutes:\n\n{LinkFor(console, token)}\n\n"
        + "If you did not ask to sign in, ignore this mail.";

    private static string CodeBody(string code, SignInOptions settings) =>
        $"Your Hiroi sign-in code is {code}. It works once, for {settings.EmailCodeMinutes} minutes.\n\nIf you did not ask to sign in, ignore this mail.";
}
