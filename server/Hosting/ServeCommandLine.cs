using System.CommandLine;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// The service's command line, shared by <c>latent-ebm-server</c> and <c>latent-ebm serve</c>. Parsed by
/// System.CommandLine: an unknown option (a typo such as <c>--api-key</c> for <c>--api-key-file</c>) is an
/// error naming it, with a non-zero exit code, and nothing starts; <c>--help</c> lists the options.
/// </summary>
public static class ServeCommandLine
{
    /// <summary>
    /// Adds the service's options to <paramref name="command"/> and sets its action: check the settings,
    /// load the bundles, listen until the invocation's token is cancelled (Ctrl-C, SIGTERM), finishing requests in flight.
    /// The action returns 0 after a clean stop and 1 after an error, which it writes as <c>error: ...</c> to the invocation's error writer.
    /// </summary>
    /// <returns><paramref name="command"/>.</returns>
    public static TCommand Configure<TCommand>(TCommand command) where TCommand : Command
    {
        var models = new Option<string>("--models") { Description = "Folder of model bundles (one sub-folder each)", DefaultValueFactory = _ => "models" };
        var urls = new Option<string>("--urls") { Description = "Listen address(es), ';'-separated", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "File holding the API key that protects /v1/* (X-Api-Key or Authorization: Bearer)" };
        var allowAnonymous = new Option<bool>("--allow-anonymous") { Description = "Serve without an API key on an address beyond loopback (0.0.0.0, *, a LAN address); otherwise such a start is refused" };
        var protectMetrics = new Option<bool>("--protect-metrics") { Description = "/metrics needs the API key too (needs --api-key-file)" };
        var provider = new Option<ExecutionProvider>("--provider") { Description = "auto (CUDA when it loads, else CPU), cpu or cuda", DefaultValueFactory = _ => ExecutionProvider.Auto };
        var deviceId = new Option<int>("--device-id") { Description = "CUDA device index", DefaultValueFactory = _ => 0 };
        foreach (Option option in new Option[] { models, urls, apiKeyFile, allowAnonymous, protectMetrics, provider, deviceId }) command.Options.Add(option);
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var options = new ServerOptions
                {
                    ModelsFolder = parse.GetValue(models)!,
                    Urls = parse.GetValue(urls)!,
                    ApiKeyFile = parse.GetValue(apiKeyFile),
                    AllowAnonymous = parse.GetValue(allowAnonymous),
                    ProtectMetrics = parse.GetValue(protectMetrics),
                    Execution = new ExecutionOptions(parse.GetValue(provider), parse.GetValue(deviceId)),
                };
                await using var app = LatentEbmServer.Build(options);
                await app.StartAsync(cancellation);
                await app.WaitForShutdownAsync(cancellation); // Ctrl-C: finish requests in flight, then stop
                return 0;
            }
            catch (Exception e) when (e is BundleException or ExecutionProviderException or InvalidOperationException or IOException or ArgumentException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
