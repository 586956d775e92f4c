using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Configuration;

public static class OptionsServiceCollectionExtensions
{
    /// <summary>Binds <typeparamref name="TOptions"/> to its section and validates it at start-up, naming a bad key.</summary>
    public static IServiceCollection AddSection<TOptions>(this IServiceCollection services, string section) where TOptions : class
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new SectionValidator<TOptions>(section));
        return services;
    }
}
