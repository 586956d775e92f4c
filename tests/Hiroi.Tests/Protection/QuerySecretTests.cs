using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Protection;

/// <summary>The webhook secret may arrive as <c>?code=</c>: the request's trace must not carry it.</summary>
public class QuerySecretTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    [Fact]
    public async Task The_trace_of_a_request_records_no_query_values()
    {
        var tags = new ConcurrentQueue<KeyValuePair<string, string?>>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                foreach (var tag in activity.Tags)
                {
                    tags.Enqueue(tag);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var response = await app.CreateClient().PostAsync("/api/eventgrid/acs?code=topsecret-4821&token=tok-7730", new StringContent("[]"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(tags, t => t.Key == "url.query"); // the instrumentation did record the request
        Assert.DoesNotContain(tags, t => t.Value?.Contains("topsecret-4821", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(tags, t => t.Value?.Contains("tok-7730", StringComparison.Ordinal) == true);
    }
}
