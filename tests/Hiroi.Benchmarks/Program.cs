using BenchmarkDotNet.Running;
using Hiroi.Benchmarks;

// scripts/bench.sh runs the BenchmarkDotNet suite; scripts/bench-webhook.sh, bench-campaign.sh, bench-retention.sh, bench-widget.sh,
// bench-calls.sh and bench-realtime.sh run the load runs; scripts/chaos.sh the fault scenarios.
if (args is ["webhook-load", var storage, var url, var secret, var number, var seconds, var concurrency])
{
    return await WebhookLoad.RunAsync(storage, new Uri(url), secret, number, int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture));
}

if (args is ["campaign-load", var storageAccount, var contacts, var campaigns])
{
    return await CampaignDriverLoad.RunAsync(storageAccount, int.Parse(contacts, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(campaigns, System.Globalization.CultureInfo.InvariantCulture));
}

if (args is ["retention-load", var retentionStorage, var rows])
{
    return await RetentionSweepLoad.RunAsync(retentionStorage, int.Parse(rows, System.Globalization.CultureInfo.InvariantCulture));
}

if (args is ["widget-load", var server, var keyId, var origin, var widgetSeconds, var widgetConcurrency, var heartbeats])
{
    return await WidgetLoad.RunAsync(new Uri(server), keyId, origin, int.Parse(widgetSeconds, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(widgetConcurrency, System.Globalization.CultureInfo.InvariantCulture), int.Parse(heartbeats, System.Globalization.CultureInfo.InvariantCulture));
}

if (args is ["call-load", var callServer, var callNumber, var concurrencyList, var callsPerCaller, var turns])
{
    return await CallLoad.RunAsync(new Uri(callServer), callNumber,
        [.. concurrencyList.Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))],
        int.Parse(callsPerCaller, System.Globalization.CultureInfo.InvariantCulture), int.Parse(turns, System.Globalization.CultureInfo.InvariantCulture));
}

if (args is ["realtime-load", var realtimeServer, var apiKey, var realtimeNumber, var pid, var realtimeSeconds, .. var levels])
{
    return await RealtimeLoad.RunAsync(new Uri(realtimeServer), apiKey, realtimeNumber, int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(realtimeSeconds, System.Globalization.CultureInfo.InvariantCulture), [.. levels.Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture))]);
}

if (args is ["chaos", var repoRoot, var garnetDll, var serverDll, var settingsFile, var workDir, var outageSeconds, var perSecond, var chaosContacts, var visitors])
{
    return await Hiroi.Benchmarks.Chaos.ChaosRun.RunAsync(repoRoot, garnetDll, serverDll, settingsFile, workDir,
        int.Parse(outageSeconds, System.Globalization.CultureInfo.InvariantCulture), int.Parse(perSecond, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(chaosContacts, System.Globalization.CultureInfo.InvariantCulture), int.Parse(visitors, System.Globalization.CultureInfo.InvariantCulture));
}

// A benchmark that throws (in its setup or its body) fails the run, so scripts/bench.sh --smoke in ./test notices it.
var summaries = BenchmarkSwitcher.FromAssembly(typeof(CampaignDriverLoad).Assembly).Run(args).ToList();
return summaries.Count > 0 && summaries.All(s => !s.HasCriticalValidationErrors && s.Reports.Length > 0 && s.Reports.All(r => r.Success)) ? 0 : 1;
