using BenchmarkDotNet.Running;

// Run through scripts/bench.sh, which starts Azurite and passes HIROI_BENCH_STORAGE.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
