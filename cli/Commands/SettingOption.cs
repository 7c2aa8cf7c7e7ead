using System.CommandLine;
using LatentEbm.Data.Sources;

namespace LatentEbm.Cli.Commands;

/// <summary>Command-line options for enum settings, written as in config.json (<see cref="SettingNames"/>).</summary>
internal static class SettingOption
{
    /// <summary>An option <paramref name="name"/> taking one of <typeparamref name="T"/>'s written names.</summary>
    public static Option<T> Create<T>(string name, string description, T defaultValue) where T : struct, Enum
    {
        var option = new Option<T>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                string token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                try
                {
                    return SettingNames.Parse<T>(token);
                }
                catch (ArgumentException e)
                {
                    result.AddError($"{name}: {e.Message}");
                    return defaultValue;
                }
            },
        };
        option.AcceptOnlyFromAmong(SettingNames.All<T>());
        return option;
    }
}
