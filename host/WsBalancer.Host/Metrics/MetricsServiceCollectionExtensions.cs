using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Metrics;

internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="BalancerMetrics"/> and its SDK hooks (a session listener and a valve provider). Needs a
    /// <c>ServerSettings</c> singleton; brings <see cref="System.Diagnostics.Metrics.IMeterFactory"/> if absent.
    /// </summary>
    public static IServiceCollection AddBalancerMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<BalancerMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISessionListener, MetricsSessionListener>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValveProvider, MetricsValveProvider>());
        return services;
    }
}
