using System.Reflection;
using System.Text.Json.Serialization;

namespace LatentEbm.Data.Sources;

/// <summary>
/// The names of enum settings as written in <c>config.json</c>, manifests and on the command line: the
/// member's <see cref="JsonStringEnumMemberNameAttribute"/>, else its name in snake_case.
/// </summary>
public static class SettingNames
{
    /// <summary>The written name of <paramref name="value"/>.</summary>
    public static string Of<T>(T value) where T : struct, Enum
    {
        string member = value.ToString();
        var attribute = typeof(T).GetField(member)?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>();
        return attribute?.Name ?? System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(member);
    }

    /// <summary>Every written name of <typeparamref name="T"/>.</summary>
    public static string[] All<T>() where T : struct, Enum => [.. Enum.GetValues<T>().Select(Of)];

    /// <summary>The member written <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No member is written so; the message lists the names.</exception>
    public static T Parse<T>(string name) where T : struct, Enum
    {
        foreach (var value in Enum.GetValues<T>())
            if (Of(value) == name) return value;
        throw new ArgumentException($"'{name}' is not one of {string.Join(", ", All<T>())}");
    }
}
