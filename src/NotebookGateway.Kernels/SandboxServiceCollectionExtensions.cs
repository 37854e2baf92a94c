using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotebookGateway.Docker;
using NotebookGateway.Egress.Options;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Kernels.State;
using NotebookGateway.Kernels.Workspaces;
using NotebookGateway.Zmq;

namespace Microsoft.Extensions.DependencyInjection;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers the sandboxed kernel manager: <see cref="SandboxOptions"/> bound from the <c>Sandbox</c> section and
    /// validated at start-up, the kernelspec catalog, the manager with its collaborators, and its hosted service. A
    /// <see cref="DockerClient"/> and a <see cref="ZmqContext"/> are added unless already registered.
    /// </summary>
    public static IServiceCollection AddSandboxKernels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>());
        services.AddOptions<EgressOptions>().Bind(configuration.GetSection(EgressOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EgressOptions>, EgressOptionsValidator>());
        return services.AddSandboxKernels();
    }

    /// <summary>
    /// As <see cref="AddSandboxKernels(IServiceCollection, IConfiguration)"/>, for a host that binds and validates
    /// <see cref="SandboxOptions"/> itself.
    /// </summary>
    public static IServiceCollection AddSandboxKernels(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new DockerClient(
            new DockerClientOptions { SocketPath = sp.GetRequiredService<IOptions<SandboxOptions>>().Value.EffectiveEngineSocket },
            sp.GetService<ILogger<DockerClient>>()));
        services.TryAddSingleton(_ => new ZmqContext());
        services.TryAddSingleton<KernelSpecCatalog>();
        services.AddSandboxKernelServices();
        services.AddHostedService<SandboxKernelManagerHostedService>();
        return services;
    }

    /// <summary>
    /// The manager and its collaborators, each one singleton unless already registered. Expects a
    /// <see cref="DockerClient"/>, a <see cref="ZmqContext"/>, a <see cref="KernelSpecCatalog"/>,
    /// <c>IOptions&lt;SandboxOptions&gt;</c>, logging and a <see cref="TimeProvider"/>; <c>IOptions&lt;EgressOptions&gt;</c>
    /// when kernels may have network policies (without it only <c>none</c> exists).
    /// </summary>
    public static IServiceCollection AddSandboxKernelServices(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new KernelMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<SecurityEvents>();
        services.TryAddSingleton(sp => new EgressMetrics(sp.GetService<IMeterFactory>()));
        services.AddOptions<EgressOptions>(); // defaults (only "none") unless the host bound the Egress section
        services.TryAddSingleton<EgressProxy>();
        services.TryAddSingleton<NetworkPolicyResolver>();
        services.TryAddSingleton(_ => new ContainerCgroup());
        services.TryAddSingleton<SandboxHost>();
        services.TryAddSingleton(sp => new UidAllocator(sp.GetRequiredService<IOptions<SandboxOptions>>().Value.UidRange));
        services.TryAddSingleton<IWorkspaceBackend>(sp =>
            sp.GetRequiredService<IOptions<SandboxOptions>>().Value.WorkspaceBackend == WorkspaceBackendKind.Directory
                ? new DirectoryWorkspaceBackend()
                : new LoopImageWorkspaceBackend());
        services.TryAddSingleton<RunTable>();
        services.TryAddSingleton<OperationTracker>();
        services.TryAddSingleton<KernelStateEvents>();
        services.TryAddSingleton<RunPlanner>();
        services.TryAddSingleton<RunLauncher>();
        services.TryAddSingleton<RunDeathWatcher>();
        services.TryAddSingleton<OrphanSweeper>();
        services.TryAddSingleton<SelfTestRunner>();
        services.TryAddSingleton<SessionRegistry>();
        services.TryAddSingleton<KernelPool>();
        services.TryAddSingleton<KernelStateStore>();
        services.TryAddSingleton<KernelReconciler>();
        services.TryAddSingleton<SandboxKernelManager>();
        return services;
    }
}
