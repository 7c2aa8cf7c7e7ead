using System.CommandLine;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Server.Hosting;
using Microsoft.Extensions.Hosting;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm serve</c>: hosts the HTTP inference service (the same application as latent-ebm-server).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models") { Description = "Folder of model bundles (one sub-folder each)", DefaultValueFactory = _ => "models" };
        var urls = new Option<string>("--urls") { Description = "Listen address(es)", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "File holding the API key that protects /v1/*" };
        var provider = new Option<ExecutionProvider>("--provider") { Description = "auto (CUDA when it loads, else CPU), cpu or cuda", DefaultValueFactory = _ => ExecutionProvider.Auto };
        var deviceId = new Option<int>("--device-id") { Description = "CUDA device index", DefaultValueFactory = _ => 0 };
        var command = new Command("serve", "Serve model bundles over HTTP: samples, latents, reconstructions, anomaly scores (ONNX Runtime).")
        {
            models, urls, apiKeyFile, provider, deviceId,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var options = new ServerOptions
                {
                    ModelsFolder = parse.GetValue(models)!,
                    Urls = parse.GetValue(urls)!,
                    ApiKeyFile = parse.GetValue(apiKeyFile),
                    Execution = new ExecutionOptions(parse.GetValue(provider), parse.GetValue(deviceId)),
                };
                await using var app = LatentEbmServer.Build(options);
                await app.StartAsync(cancellation);
                await app.WaitForShutdownAsync(cancellation); // Ctrl-C: finish requests in flight, then stop
                return 0;
            }
            catch (Exception e) when (e is BundleException or ExecutionProviderException or DirectoryNotFoundException or InvalidOperationException or IOException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
