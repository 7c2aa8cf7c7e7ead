using System.CommandLine;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using Microsoft.Extensions.Options;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// The service's command line, shared by <c>latent-ebm-server</c> and <c>latent-ebm serve</c>: one flag per
/// <see cref="ServerOptions"/> property (<see cref="ServerOptionFlags.All"/>). Parsed by System.CommandLine: an unknown
/// option (a typo such as <c>--api-key</c> for <c>--api-key-file</c>) or a value of the wrong type is an error naming it,
/// with a non-zero exit code, and nothing starts; <c>--help</c> lists the options with their ranges, defaults and keys.
/// </summary>
public static class ServeCommandLine
{
    /// <summary>
    /// Adds the service's options to <paramref name="command"/> and sets its action: bind the settings (defaults, then the
    /// configuration section <c>Server</c>: appsettings.json, environment variables such as <c>Server__Concurrency</c>; then
    /// the flags given, which win), check them, load the bundles, listen until the invocation's token is cancelled (Ctrl-C,
    /// SIGTERM), finishing requests in flight. The action returns 0 after a clean stop and 1 after an error, which it writes
    /// as <c>error: ...</c> lines (one per refused setting, naming its key and flag) to the invocation's error writer.
    /// </summary>
    /// <returns><paramref name="command"/>.</returns>
    public static TCommand Configure<TCommand>(TCommand command) where TCommand : Command
    {
        var flags = ServerOptionFlags.All.Select(f => (Flag: f, Option: f.CreateOption())).ToList();
        foreach (var (_, option) in flags) command.Options.Add(option);
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var given = flags.Select(f => (Key: ServerOptions.Key(f.Flag.Property), Value: f.Flag.Given(parse, f.Option)))
                    .Where(f => f.Value is not null).Select(f => KeyValuePair.Create(f.Key, f.Value));
                await using var app = LatentEbmServer.Build([], given);
                await app.StartAsync(cancellation);
                await app.WaitForShutdownAsync(cancellation); // Ctrl-C: finish requests in flight, then stop
                return 0;
            }
            catch (OptionsValidationException e)
            {
                foreach (var failure in e.Failures) await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {failure}");
                return 1;
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
