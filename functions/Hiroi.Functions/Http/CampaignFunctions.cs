using Hiroi.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Http;

/// <summary>Campaigns and their commands (which start and wake the campaign's orchestration through the bound client). Each function runs the self-host route of the same name (<see cref="HiroiHttp"/>).</summary>
public sealed class CampaignFunctions(HiroiHttp http)
{
    [Function(nameof(ListCampaigns))]
    public Task<IResult> ListCampaigns(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/campaigns")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListCampaigns), request, client);

    [Function(nameof(CreateCampaign))]
    public Task<IResult> CreateCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/campaigns")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CreateCampaign), request, client);

    [Function(nameof(GetCampaign))]
    public Task<IResult> GetCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/campaigns/{campaignId}")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(GetCampaign), request, client);

    [Function(nameof(ListCampaignContacts))]
    public Task<IResult> ListCampaignContacts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/campaigns/{campaignId}/contacts")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ListCampaignContacts), request, client);

    [Function(nameof(StartCampaign))]
    public Task<IResult> StartCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/campaigns/{campaignId}/start")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(StartCampaign), request, client);

    [Function(nameof(PauseCampaign))]
    public Task<IResult> PauseCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/campaigns/{campaignId}/pause")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(PauseCampaign), request, client);

    [Function(nameof(ResumeCampaign))]
    public Task<IResult> ResumeCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/campaigns/{campaignId}/resume")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(ResumeCampaign), request, client);

    [Function(nameof(CancelCampaign))]
    public Task<IResult> CancelCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/campaigns/{campaignId}/cancel")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        http.RunAsync(nameof(CancelCampaign), request, client);
}
