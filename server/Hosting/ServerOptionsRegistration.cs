using Microsoft.Extensions.Options;

namespace LatentEbm.Server.Hosting;

/// <summary>Registers <see cref="ServerOptions"/>: bound from configuration, checked by <see cref="ServerOptionsValidator"/> at start.</summary>
public static class ServerOptionsRegistration
{
    /// <summary>
    /// <c>AddOptions&lt;ServerOptions&gt;().BindConfiguration("Server")</c> (a key in the section that names no option is an
    /// error, as an unknown flag is), the validator, <c>ValidateOnStart</c>, and the validated instance as a plain
    /// <see cref="ServerOptions"/> singleton for handlers. Resolving it binds and checks: a refused setting throws
    /// <see cref="OptionsValidationException"/> whose failures name each option.
    /// </summary>
    public static IServiceCollection AddServerOptions(this IServiceCollection services)
    {
        services.AddOptions<ServerOptions>()
            .BindConfiguration(ServerOptions.Section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ServerOptions>>().Value);
        return services;
    }
}
