using System.Security.Claims;
using System.Text.Json;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.Agents;

public sealed record AgentRequest(
    string? Name, string? Instructions, string? Model, ToolDefinition?[]? Tools, string[]? Numbers, long? DailyTokenCap, decimal? DailyCostCapUsd,
    AgentVoice? Voice = null);

public sealed record AgentResponse(
    string Id, string Name, string Instructions, string Model, IReadOnlyList<ToolDefinition> Tools, IReadOnlyList<string> Numbers,
    long DailyTokenCap, decimal DailyCostCapUsd, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, AgentVoice Voice);

/// <summary>The org's AI agents: admins create, change and delete them (audited); members read them.</summary>
public static class AgentsApi
{
    public static RouteGroupBuilder MapAgents(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var agents = api.MapGroup("/agents").WithTags("Agents");
        agents.MapGet("/", ListAsync).WithName("ListAgents");
        agents.MapPost("/", CreateAsync).WithName("CreateAgent").RequireAuthorization(Policies.Admin);
        agents.MapGet("/{agentId}", GetAsync).WithName("GetAgent");
        agents.MapPut("/{agentId}", UpdateAsync).WithName("UpdateAgent").RequireAuthorization(Policies.Admin);
        agents.MapDelete("/{agentId}", DeleteAsync).WithName("DeleteAgent").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<AgentResponse[]>> ListAsync(ClaimsPrincipal user, AgentRepository agents, CancellationToken cancellationToken) =>
        TypedResults.Ok(await agents.ListAsync(user.ToCaller().OrgId, cancellationToken).Select(Response).ToArrayAsync(cancellationToken));

    public static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> GetAsync(
        string agentId, ClaimsPrincipal user, AgentRepository agents, CancellationToken cancellationToken) =>
        await agents.FindAsync(user.ToCaller().OrgId, agentId, cancellationToken) is { } agent
            ? TypedResults.Ok(Response(agent))
            : OrgProblems.NotFound("agent");

    public static async Task<Results<Created<AgentResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        AgentRequest request, ClaimsPrincipal user, AgentRepository agents, AgentRequestReader reader, AuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = user.ToCaller();
        var validation = new Validation();
        var agent = await reader.ReadAsync(caller.OrgId, null, request, validation, cancellationToken);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        agent.RowKey = AgentEntity.NewId();
        agent.CreatedAt = agent.UpdatedAt = time.GetUtcNow();
        if (await agents.AddWithinLimitAsync(caller.OrgId, agent, AgentRepository.MaxAgentsPerOrg, null, cancellationToken) != CappedAdd.Added)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Too many agents",
                detail: $"An org has at most {AgentRepository.MaxAgentsPerOrg} agents.");
        }

        await audit.RecordAsync(caller, AuditActions.AgentCreated, "agent:" + agent.RowKey, Detail(agent), cancellationToken);
        return TypedResults.Created($"/api/agents/{agent.RowKey}", Response(agent));
    }

    /// <summary>Replaces the agent's definition (every field), under the version read, so two admins' edits never mix.</summary>
    public static async Task<Results<Ok<AgentResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string agentId, AgentRequest request, ClaimsPrincipal user, AgentRepository agents, AgentRequestReader reader, AuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = user.ToCaller();
        if (await agents.FindAsync(caller.OrgId, agentId, cancellationToken) is not { } existing)
        {
            return OrgProblems.NotFound("agent");
        }

        var validation = new Validation();
        var agent = await reader.ReadAsync(caller.OrgId, agentId, request, validation, cancellationToken);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        (agent.RowKey, agent.ETag, agent.CreatedAt, agent.UpdatedAt) = (existing.RowKey, existing.ETag, existing.CreatedAt, time.GetUtcNow());
        try
        {
            if (!await agents.UpdateAsync(caller.OrgId, agent, cancellationToken))
            {
                return OrgProblems.NotFound("agent");
            }
        }
        catch (ConflictException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Changed meanwhile", detail: e.Message);
        }

        await audit.RecordAsync(caller, AuditActions.AgentUpdated, "agent:" + agent.RowKey, Detail(agent), cancellationToken);
        return TypedResults.Ok(Response(agent));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string agentId, ClaimsPrincipal user, AgentRepository agents, AuditTrail audit, CancellationToken cancellationToken)
    {
        var caller = user.ToCaller();
        if (!await agents.DeleteAsync(caller.OrgId, agentId, cancellationToken))
        {
            return OrgProblems.NotFound("agent");
        }

        await audit.RecordAsync(caller, AuditActions.AgentDeleted, "agent:" + agentId, null, cancellationToken);
        return TypedResults.NoContent();
    }

    // What changed, by shape: the model, tool names and bound numbers' count; never instructions or templates.
    private static string Detail(AgentEntity agent) =>
        $"model={agent.Model} tools={string.Join(',', agent.Tools().Select(t => t.Name))} numbers={agent.NumberList.Count}";

    private static AgentResponse Response(AgentEntity agent) => new(
        agent.RowKey, agent.Name, agent.Instructions, agent.Model, agent.Tools(), agent.NumberList,
        agent.DailyTokenCap, MicroUsd.ToUsd(agent.DailyCostCapMicroUsd), agent.CreatedAt, agent.UpdatedAt, agent.Voice());
}
