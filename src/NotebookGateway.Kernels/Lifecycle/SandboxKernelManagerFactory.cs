using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotebookGateway.Docker;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Zmq;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>A manager without a host (tests, tools): composed from the same services a host registers.</summary>
public static class SandboxKernelManagerFactory
{
    /// <summary>
    /// A manager made of these parts and the defaults of <see cref="SandboxServiceCollectionExtensions.AddSandboxKernelServices"/>;
    /// disposing it disposes what was made for it (<paramref name="metrics"/> too, when not given).
    /// </summary>
    public static SandboxKernelManager Create(
        DockerClient docker,
        ZmqContext zmq,
        KernelSpecCatalog catalog,
        IOptions<SandboxOptions> options,
        ILoggerFactory loggerFactory,
        TimeProvider? timeProvider = null,
        KernelMetrics? metrics = null,
        EgressProxy? egress = null)
    {
        var services = new ServiceCollection()
            .AddSingleton(docker)
            .AddSingleton(zmq)
            .AddSingleton(catalog)
            .AddSingleton(options)
            .AddSingleton(loggerFactory)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddSingleton(timeProvider ?? TimeProvider.System);
        if (metrics is not null)
        {
            services.AddSingleton(metrics);
        }

        if (egress is not null)
        {
            services.AddSingleton(egress);
        }

        var provider = services.AddSandboxKernelServices().BuildServiceProvider();
        var manager = provider.GetRequiredService<SandboxKernelManager>();
        manager.OwnedServices = provider;
        return manager;
    }
}
