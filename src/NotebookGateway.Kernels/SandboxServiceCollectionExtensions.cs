using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NotebookGateway.Docker;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Zmq;

namespace Microsoft.Extensions.DependencyInjection;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers the sandboxed kernel manager: <see cref="SandboxOptions"/> bound from the <c>Sandbox</c> section and
    /// validated at start-up, the kernelspec catalog, the manager and its hosted service. A <see cref="DockerClient"/>
    /// and a <see cref="ZmqContext"/> are added unless already registered.
    /// </summary>
    public static IServiceCollection AddSandboxKernels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new DockerClient());
        services.TryAddSingleton(_ => new ZmqContext());
        services.TryAddSingleton(sp => new KernelMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<KernelSpecCatalog>();
        services.TryAddSingleton<SandboxKernelManager>();
        services.AddHostedService<SandboxKernelManagerHostedService>();
        return services;
    }
}
