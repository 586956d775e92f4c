using System.Security.Claims;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared;
using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Hiroi.Endpoints.ApiKeys;

public sealed record ApiKeyResponse(
    string Id, string Name, string Role, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public static ApiKeyResponse From(ApiKeyEntity k) => new(k.RowKey, k.Name, k.Role, k.CreatedAt, k.CreatedBy, k.LastUsedAt, k.RevokedAt);
}

/// <summary>The one response that carries a key's plaintext; it is not retrievable again.</summary>
public sealed record CreatedApiKeyResponse(string Id, string Name, string Role, DateTimeOffset CreatedAt, string Key);

public sealed record CreateApiKeyRequest(string? Name, string? Role);

public static class ApiKeysApi
{
    public static RouteGroupBuilder MapApiKeys(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var keys = api.MapGroup("/api-keys").WithTags("API keys").RequireAuthorization(Policies.Admin);
        keys.MapGet("/", ListAsync).WithName("ListApiKeys");
        keys.MapPost("/", CreateAsync).WithName("CreateApiKey");
        keys.MapDelete("/{keyId}", RevokeAsync).WithName("RevokeApiKey");
        return api;
    }

    public static async Task<Ok<ApiKeyResponse[]>> ListAsync(ClaimsPrincipal user, ApiKeyService keys, CancellationToken cancellationToken)
    {
        var list = await keys.ListAsync(user.ToCaller(), cancellationToken);
        return TypedResults.Ok(list.OrderBy(k => k.CreatedAt).Select(ApiKeyResponse.From).ToArray());
    }

    public static async Task<Results<Created<CreatedApiKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateApiKeyRequest request, ClaimsPrincipal user, ApiKeyService keys, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        var validation = new Validation()
            .Require(DisplayText.TryClean(request.Name, ApiKeyService.MaxNameLength, out var name), "name",
                $"must be 1 to {ApiKeyService.MaxNameLength} printable characters")
            .Require(Roles.TryParse(request.Role, out var role), "role", "must be one of owner, admin, member");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var caller = user.ToCaller();
        if (role > caller.Role)
        {
            return TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: "A key cannot have a higher role than yours.");
        }

        var created = await keys.CreateAsync(caller, name, role, cancellationToken);
        response.Headers.CacheControl = "no-store";
        var k = created.Record;
        return TypedResults.Created($"/api/api-keys/{k.RowKey}", new CreatedApiKeyResponse(k.RowKey, k.Name, k.Role, k.CreatedAt, created.PlainText));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        string keyId, ClaimsPrincipal user, ApiKeyService keys, CancellationToken cancellationToken)
    {
        return await keys.RevokeAsync(user.ToCaller(), keyId, cancellationToken)
            ? TypedResults.NoContent()
            : OrgProblems.NotFound("API key");
    }
}
