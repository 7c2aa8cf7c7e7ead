using System.CommandLine;
using LatentEbm.Server.Hosting;

// latent-ebm-server --models models/ --urls http://127.0.0.1:8080 [--api-key-file F] [--protect-metrics] [--allow-anonymous]
//                   [--provider auto|cpu|cuda] [--device-id 0]: the options of `latent-ebm serve`; --help lists them.
var root = ServeCommandLine.Configure(new RootCommand("latent-ebm-server: serve latent-EBM model bundles over HTTP: samples, latents, reconstructions, anomaly scores (ONNX Runtime)."));
// Ctrl-C / SIGTERM cancel the action's token: requests in flight finish; past 60 s the process is ended regardless.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
