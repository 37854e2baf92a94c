using Microsoft.Extensions.Options;
using NotebookGateway.Egress.Options;
using NotebookGateway.Jupyter.WebSocket;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Admission;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Culling;
using NotebookGateway.Server.Execution;
using NotebookGateway.Server.Hubs;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Metrics;
using NotebookGateway.Server.Monitoring;
using NotebookGateway.Server.Quotas;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Relay;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Hosting;

/// <summary>Every service of the gateway, layer by layer; the configuration was validated before (<see cref="GatewaySections"/>).</summary>
public static class GatewayServices
{
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGatewayOptions(configuration);

        // Policies: users and tokens, spec access, quotas, rate limits.
        services.AddSingleton(sp => CreateAuthentication(sp.GetRequiredService<IOptions<GatewayOptions>>().Value, sp.GetRequiredService<IOptions<List<UserOptions>>>().Value));
        services.AddSingleton(sp => new KernelSpecAccess(sp.GetRequiredService<IOptions<KernelSpecAccessOptions>>().Value, sp.GetRequiredService<IOptions<List<UserOptions>>>().Value,
            sp.GetRequiredService<IOptions<EgressOptions>>().Value));
        services.AddSingleton<KernelQuotas>();
        services.AddSingleton<RateLimitMetrics>();
        services.AddSingleton<GatewayRateLimiter>();
        services.AddSingleton<BadTokenThrottle>();
        services.AddSingleton<GatewayAuthentication>();

        // The security timeline, fed by the limits below and by the host's audit log.
        services.AddSingleton<SignalMetrics>();
        services.AddSingleton<SecurityTimeline>();

        // Relay, admission rules and execution limits. Before the sandbox manager: hosted services stop in reverse order, so the audit
        // log drains after the kernels are gone.
        services.AddExecutionLimits();
        services.AddSingleton(sp => new AdmissionRules(sp.GetRequiredService<IOptions<AdmissionOptions>>(), sp.GetRequiredService<KernelSpecAccess>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CodeAdmission>>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => new WebSocketMessageCodec(new WebSocketCodecOptions
        {
            MaxFrameBytes = sp.GetRequiredService<IOptions<ChannelOptions>>().Value.MaxClientMessageBytes,
        }));

        // Kernels: the sandboxes, the registry and the starter, sessions, leases, culling.
        services.AddSandboxKernels();
        services.AddHostedService<KernelReadoption>(); // after the manager's own: it takes the kernels the manager took back
        services.AddSingleton<GatewayKernelRegistry>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<KernelStarter>();
        services.AddSingleton<KernelLeases>();
        services.AddHostedService(sp => sp.GetRequiredService<KernelLeases>());
        services.AddHostedService<KernelCuller>();
        services.AddSingleton<SyscallSignalRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<SyscallSignalRelay>());
        services.AddHostedService<SignalStopPolicy>();
        services.AddHostedService<ZeroSeries>();
        services.AddHostedService<EgressObserver>();

        // Transports and metrics.
        services.AddKernelHub();
        services.AddGatewayMetrics();
        return services;
    }

    /// <summary>Gateway:Token, or a random one when it is empty (printed at start).</summary>
    private static TokenAuthentication CreateAuthentication(GatewayOptions gateway, IReadOnlyList<UserOptions> users) =>
        new(string.IsNullOrEmpty(gateway.Token) ? TokenAuthentication.Generate() : gateway.Token, users);
}
