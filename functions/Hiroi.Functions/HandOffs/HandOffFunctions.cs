using Hiroi.Shared.HandOffs;
using Hiroi.Shared.SignIn;
using Microsoft.Azure.Functions.Worker;

namespace Hiroi.Functions.HandOffs;

/// <summary>
/// The queue triggers over the work requests hand off (the self-host drains the same queues with
/// <see cref="HandOffDrain{T}"/>). The host deletes a message when its function returns and delivers it again when it
/// throws, moving it to <c>{queue}-poison</c> after host.json's <c>queues:maxDequeueCount</c> deliveries. Queue names are
/// the storage prefix and the queue's own name, as the core's clients name them; messages are base64, as the trigger reads them.
/// </summary>
public sealed class HandOffFunctions(HandOffProcessor processor, IHandOffHandler<SignInMailRequest> mail, IHandOffHandler<AccountAuditEntry> audit)
{
    public const string Prefix = "%Hiroi:Storage:Prefix%";

    [Function("SendSignInMail")]
    public Task SendSignInMail(
        [QueueTrigger(Prefix + SignInMailbox.QueueName, Connection = "AzureWebJobsStorage")] string message, CancellationToken cancellationToken) =>
        RunAsync(SignInMailbox.QueueName, message, mail, cancellationToken);

    [Function("WriteAccountAudit")]
    public Task WriteAccountAudit(
        [QueueTrigger(Prefix + AccountAuditInbox.QueueName, Connection = "AzureWebJobsStorage")] string message, CancellationToken cancellationToken) =>
        RunAsync(AccountAuditInbox.QueueName, message, audit, cancellationToken);

    /// <summary>A message another delivery is handling is thrown back (returning would delete it before that delivery is done).</summary>
    private async Task RunAsync<T>(string queue, string message, IHandOffHandler<T> handler, CancellationToken cancellationToken)
    {
        if (await processor.ProcessAsync(queue, message, handler, cancellationToken).ConfigureAwait(false) == HandOffResult.HeldElsewhere)
        {
            throw new HandOffHeldElsewhereException(queue);
        }
    }
}

/// <summary>Another delivery of the message holds its claim: the host makes it visible again later.</summary>
public sealed class HandOffHeldElsewhereException(string queue) : Exception($"A hand-off on {queue} is being handled by another delivery.");
