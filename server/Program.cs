using System.CommandLine;
using LatentEbm.Server.Hosting;

// latent-ebm-server --models models/ --urls http://127.0.0.1:8080 [--api-key-file F] [--concurrency 64] ...: one flag per
// ServerOptions property (--help lists them), also read from configuration (section "Server": appsettings.json, Server__X).
var root = ServeCommandLine.Configure(new RootCommand("latent-ebm-server: serve latent-EBM model bundles over HTTP: samples, latents, reconstructions, anomaly scores (ONNX Runtime)."));
// Ctrl-C / SIGTERM cancel the action's token: requests in flight finish; past 60 s the process is ended regardless.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
