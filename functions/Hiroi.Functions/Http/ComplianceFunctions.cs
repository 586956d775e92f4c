using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>The audit trail, retention settings, and GDPR export and erasure. Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class ComplianceFunctions(HiroiHttp http)
{
    [Function(nameof(ListAuditEntries))]
    public Task<IResult> ListAuditEntries(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/audit")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListAuditEntries), request, client);

    [Function(nameof(GetRetention))]
    public Task<IResult> GetRetention(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/retention")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(GetRetention), request, client);

    [Function(nameof(SetRetention))]
    public Task<IResult> SetRetention(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/retention")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(SetRetention), request, client);

    [Function(nameof(ExportSubject))]
    public Task<IResult> ExportSubject(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/privacy/export")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ExportSubject), request, client);

    [Function(nameof(EraseSubject))]
    public Task<IResult> EraseSubject(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/privacy/erasure")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(EraseSubject), request, client);
}
