using Hiroi.Shared.Audit;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Agents;

/// <summary>Turns an agent's stored tool definitions into the functions a turn offers the model.</summary>
public sealed class AgentToolbox(IToolSecrets secrets, IHttpClientFactory http, AuditTrail audit, IOptions<AiOptions> options)
{
    public IReadOnlyList<AIFunction> For(AgentEntity agent, ToolCallContext context)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var ai = options.Value;
        var compiler = new ToolCompiler(ai.AllowLoopbackTools);
        return agent.Tools()
            .Select(tool => (AIFunction)new HttpToolFunction(compiler.CompileStored(tool), context, secrets, http.CreateClient(ToolHttp.ClientName), ai, audit))
            .ToList();
    }
}
