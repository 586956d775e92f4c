using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Telephony;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Telephony;

public sealed record ConversationResponse(string Id, string CustomerNumber, string OurNumber, DateTimeOffset LastMessageAt, bool AwaitingAgent);

public sealed record MessageResponse(
    string Id, string? Direction, string? Role, string? Text, DateTimeOffset? At, string? Purpose, string? DeliveryStatus, DateTimeOffset? DeliveryReportedAt);

public static class ConversationsApi
{
    public static RouteGroupBuilder MapConversations(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var conversations = api.MapGroup("/conversations").WithTags("Conversations");
        conversations.MapGet("/", ListAsync).WithName("ListConversations");
        conversations.MapGet("/{conversationId}/messages", MessagesAsync).WithName("ListConversationMessages");
        return api;
    }

    public static async Task<Ok<ConversationResponse[]>> ListAsync(ClaimsPrincipal user, ConversationRepository conversations, CancellationToken cancellationToken)
    {
        var list = await conversations.ListAsync(user.ToCaller().OrgId, cancellationToken)
            .Select(c => new ConversationResponse(c.RowKey, c.CustomerNumber, c.OurNumber, c.LastMessageAt, c.AwaitingAgent))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(list.OrderByDescending(c => c.LastMessageAt).ToArray());
    }

    public static async Task<Results<Ok<MessageResponse[]>, ProblemHttpResult>> MessagesAsync(
        string conversationId, ClaimsPrincipal user, ConversationRepository conversations, MessageRepository messages, CancellationToken cancellationToken)
    {
        var org = user.ToCaller().OrgId;
        if (await conversations.FindAsync(org, conversationId, cancellationToken) is null)
        {
            return OrgProblems.NotFound("conversation");
        }

        var list = await messages.InConversationAsync(org, conversationId, cancellationToken)
            .Select(m => new MessageResponse(m.RowKey["msg_".Length..], m.Direction, m.Role, m.Text, m.At, m.Purpose, m.DeliveryStatus, m.DeliveryReportedAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(list.OrderBy(m => m.At).ToArray());
    }
}
