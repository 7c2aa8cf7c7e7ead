using System.CommandLine;
using LatentEbm.Data.Sources;

namespace LatentEbm.Cli.Commands;

/// <summary>
/// Command-line options for enum settings, taking and showing the names written in config.json
/// (<see cref="SettingNames"/>): <c>--dataset cifar-10</c>, help's <c>[default: mnist]</c>.
/// </summary>
internal static class SettingOption
{
    /// <summary>An option <paramref name="name"/> taking one of <typeparamref name="T"/>'s written names; read it with <see cref="GetSetting{T}"/>.</summary>
    public static Option<string> Create<T>(string name, string description, T defaultValue) where T : struct, Enum
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => SettingNames.Of(defaultValue) };
        option.AcceptOnlyFromAmong(SettingNames.All<T>());
        return option;
    }

    /// <summary>The setting an option of <see cref="Create{T}"/> was given (or its default).</summary>
    public static T GetSetting<T>(this ParseResult parse, Option<string> option) where T : struct, Enum =>
        SettingNames.Parse<T>(parse.GetValue(option)!);
}
