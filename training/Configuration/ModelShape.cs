using LatentEbm.Data.Sources;

namespace LatentEbm.Training.Configuration;

/// <summary>
/// The settings that decide the networks' tensors (their names and shapes) and what they compute:
/// nz, the prior's width and activation, the generator's kind and widths, the observation shape, the prior kind and whether an encoder starts the posterior chains. Weights trained
/// under one set of them cannot be loaded or continued under another.
/// </summary>
public static class ModelShape
{
    /// <summary>The model-shaping settings in which <paramref name="current"/> differs from <paramref name="recorded"/>, in config.json's names.</summary>
    /// <returns>(setting, recorded value, current value) per difference; empty when the networks are interchangeable.</returns>
    public static IReadOnlyList<(string Setting, string Recorded, string Current)> Differences(TrainingConfig recorded, TrainingConfig current)
    {
        var settings = new (string Name, Func<TrainingConfig, string> Value)[]
        {
            ("nz", c => c.Nz.ToString()),
            ("prior_hidden", c => c.PriorHidden.ToString()),
            ("prior_activation", c => SettingNames.Of(c.PriorActivation)),
            ("generator", c => SettingNames.Of(c.Generator)),
            ("generator_hidden", c => $"[{string.Join(", ", c.GeneratorHidden)}]"),
            ("ngf", c => c.Ngf.ToString()),
            ("observation", c => $"{SettingNames.Of(c.Observation.Kind)} {c.Observation.ShapeText}"),
            ("prior", c => SettingNames.Of(c.Prior)),
            ("posterior_start", c => SettingNames.Of(c.PosteriorStart)),
            ("encoder_hidden", c => c.Amortised ? $"[{string.Join(", ", c.EncoderHidden)}]" : "none"),
        };
        return [.. settings.Select(s => (s.Name, Recorded: s.Value(recorded), Current: s.Value(current))).Where(d => d.Recorded != d.Current)];
    }
}
