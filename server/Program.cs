using LatentEbm.Inference.Runtime;
using LatentEbm.Server.Hosting;

// latent-ebm-server --models models/ --urls http://127.0.0.1:8080 [--api-key-file F] [--provider auto|cpu|cuda] [--device-id 0]
var config = new ConfigurationBuilder().AddCommandLine(args, new Dictionary<string, string>
{
    ["--models"] = "models", ["--urls"] = "urls", ["--api-key-file"] = "apiKeyFile", ["--provider"] = "provider", ["--device-id"] = "deviceId",
}).Build();
try
{
var options = new ServerOptions
{
    ModelsFolder = config["models"] ?? "models",
    Urls = config["urls"] ?? "http://127.0.0.1:8080",
    ApiKeyFile = config["apiKeyFile"],
    Execution = new ExecutionOptions(
        Enum.TryParse<ExecutionProvider>(config["provider"] ?? "auto", ignoreCase: true, out var provider) ? provider
            : throw new ArgumentException($"--provider must be auto, cpu or cuda, got '{config["provider"]}'"),
        int.Parse(config["deviceId"] ?? "0")),
};
await LatentEbmServer.Build(options).RunAsync();
return 0;
}
catch (Exception e) when (e is LatentEbm.Inference.Bundles.BundleException or ExecutionProviderException or ArgumentException
                              or InvalidOperationException or IOException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
