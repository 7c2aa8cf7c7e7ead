using System.CommandLine;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm serve</c>: hosts the HTTP inference service with the options and action of latent-ebm-server.</summary>
internal static class ServeCommand
{
    public static Command Create() =>
        ServeCommandLine.Configure(new Command("serve", "Serve model bundles over HTTP: samples, latents, reconstructions, anomaly scores (ONNX Runtime)."));
}
