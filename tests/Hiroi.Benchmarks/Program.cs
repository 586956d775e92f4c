using BenchmarkDotNet.Running;
using Hiroi.Benchmarks;

// scripts/bench.sh runs the BenchmarkDotNet suite; scripts/bench-webhook.sh runs the webhook load run.
if (args is ["webhook-load", var storage, var url, var secret, var number, var seconds, var concurrency])
{
    return await WebhookLoad.RunAsync(storage, new Uri(url), secret, number, int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
