using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Agents;

/// <summary>Where the webhook hands a customer message for the agent's reply, which runs later, off the webhook path.</summary>
public interface IAgentReplies
{
    /// <summary>Asks for the reply to the stored message <paramref name="messageKey"/>; asking twice is harmless.</summary>
    Task RequestAsync(OrgId org, string messageKey, CancellationToken cancellationToken);
}
