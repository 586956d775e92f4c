using Hiroi.Shared.Agents;
using Microsoft.Extensions.AI;

namespace Hiroi.Shared.Voice;

/// <summary>
/// The tools every agent has on a phone call, beside the tenant's HTTP tools: <c>transfer_to_human</c> (when the agent
/// has a transfer number) and <c>end_call</c>. Calling one only records the request: the call transfers or ends after
/// the agent's reply is spoken, so the caller always hears why.
/// </summary>
public sealed class VoiceTools
{
    public const string TransferToHuman = ChannelToolNames.TransferToHuman;
    public const string EndCall = ChannelToolNames.EndCall;

    public bool TransferRequested { get; private set; }

    public bool EndRequested { get; private set; }

    public ReplyKind Kind => TransferRequested ? ReplyKind.Transfer : EndRequested ? ReplyKind.End : ReplyKind.Listen;

    public IReadOnlyList<AIFunction> For(bool canTransfer)
    {
        var tools = new List<AIFunction>
        {
            AIFunctionFactory.Create(
                () =>
                {
                    EndRequested = true;
                    return "The call will end after your reply. Say goodbye in your reply.";
                },
                EndCall,
                "Ends the phone call after your reply, when the caller is done or asks to hang up."),
        };
        if (canTransfer)
        {
            tools.Add(AIFunctionFactory.Create(
                () =>
                {
                    TransferRequested = true;
                    return "The caller will be transferred to a person after your reply. Tell them you are connecting them.";
                },
                TransferToHuman,
                "Transfers the caller to a person, when they ask for one or you cannot help them."));
        }

        return tools;
    }
}
