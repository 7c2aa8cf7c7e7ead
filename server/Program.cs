using LatentEbm.Inference.Runtime;
using LatentEbm.Server.Hosting;

// latent-ebm-server --models models/ --urls http://127.0.0.1:8080 [--api-key-file F] [--provider auto|cpu|cuda] [--device-id 0]
var config = new ConfigurationBuilder().AddCommandLine(args, new Dictionary<string, string>
{
    ["--models"] = "models", ["--urls"] = "urls", ["--api-key-file"] = "apiKeyFile", ["--provider"] = "provider", ["--device-id"] = "deviceId",
}).Build();
var options = new ServerOptions
{
    ModelsFolder = config["models"] ?? "models",
    Urls = config["urls"] ?? "http://127.0.0.1:8080",
    ApiKeyFile = config["apiKeyFile"],
    Execution = new ExecutionOptions(Enum.Parse<ExecutionProvider>(config["provider"] ?? "auto", ignoreCase: true), int.Parse(config["deviceId"] ?? "0")),
};
await LatentEbmServer.Build(options).RunAsync();
