using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NotebookGateway.Egress.Options;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Admission;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Culling;
using NotebookGateway.Server.Execution;
using NotebookGateway.Server.Hubs;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Logging;
using NotebookGateway.Server.Metrics;
using NotebookGateway.Server.Monitoring;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Server.Quotas;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Relay;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Hosting;

/// <summary>
/// Every section of gateway.json, each bound to its options type and checked by an <see cref="IValidateOptions{T}"/>,
/// the same way for all: <see cref="Validate"/> lists every error of every section before anything starts (the
/// gateway then exits with code 2), and <see cref="AddGatewayOptions"/> registers the same binding and validator
/// with <c>ValidateOnStart</c>.
/// </summary>
public static class GatewaySections
{
    /// <summary>In the order their errors are listed.</summary>
    private static readonly IReadOnlyList<ISection> All =
    [
        new Section<GatewayOptions>(GatewayOptions.Section, new GatewayOptionsValidator()),
        new Section<ChannelOptions>(ChannelOptions.Section, new ChannelOptionsValidator()),
        new Section<SandboxOptions>(SandboxOptions.SectionName, new SandboxOptionsValidator()),
        new Section<EgressOptions>(EgressOptions.SectionName, new EgressOptionsValidator()),
        new Section<MetricsOptions>(MetricsOptions.Section, new MetricsOptionsValidator()),
        new Section<List<UserOptions>>(UserOptions.Section, new RulesValidator<List<UserOptions>>(UsersValidator.Validate)),
        new Section<KernelHubOptions>(KernelHubOptions.Section, new KernelHubOptionsValidator()),
        new Section<QuotaOptions>(QuotaOptions.Section, new RulesValidator<QuotaOptions>(o => o.Validate())),
        new Section<CullingOptions>(CullingOptions.Section, new RulesValidator<CullingOptions>(o => o.Validate())),
        new Section<LeaseOptions>(LeaseOptions.Section, new RulesValidator<LeaseOptions>(o => o.Validate())),
        new Section<RateLimitOptions>(RateLimitOptions.Section, new RulesValidator<RateLimitOptions>(o => o.Validate())),
        new Section<KernelSpecAccessOptions>(KernelSpecAccessOptions.Section, new RulesValidator<KernelSpecAccessOptions>(o => o.Validate())),
        new Section<ExecutionOptions>(ExecutionOptions.Section, new RulesValidator<ExecutionOptions>(o => o.Validate())),
        new Section<AdmissionOptions>(AdmissionOptions.Section, new RulesValidator<AdmissionOptions>(o => o.Validate())),
        new Section<AuditOptions>(AuditOptions.Section, new RulesValidator<AuditOptions>(o => o.Validate())),
        new Section<MonitoringOptions>(MonitoringOptions.Section, new RulesValidator<MonitoringOptions>(o => o.Validate(SignalKinds.All))),
        new Section<ConsoleLoggingOptions>(ConsoleLoggingOptions.Section, new RulesValidator<ConsoleLoggingOptions>(ConsoleLogging.Validate)),
    ];

    /// <summary>Every error of every section, in a stable order; empty when the configuration is valid.</summary>
    /// <exception cref="InvalidOperationException">A value has the wrong type (e.g. <c>"Listen": 5</c>); the message says which.</exception>
    public static IReadOnlyList<string> Validate(IConfiguration configuration) =>
        [.. All.SelectMany(section => section.Errors(configuration))];

    /// <summary>Binds every section to its options type, with its validator and <c>ValidateOnStart</c>.</summary>
    public static IServiceCollection AddGatewayOptions(this IServiceCollection services, IConfiguration configuration)
    {
        foreach (ISection section in All)
        {
            section.Register(services, configuration);
        }
        return services;
    }

    private interface ISection
    {
        IEnumerable<string> Errors(IConfiguration configuration);

        void Register(IServiceCollection services, IConfiguration configuration);
    }

    private sealed class Section<T>(string path, IValidateOptions<T> validator) : ISection where T : class, new()
    {
        public IEnumerable<string> Errors(IConfiguration configuration)
        {
            // Bound as the options system binds it (defaults where the section is absent).
            T options = new();
            configuration.GetSection(path).Bind(options);
            return validator.Validate(Options.DefaultName, options).Failures ?? [];
        }

        public void Register(IServiceCollection services, IConfiguration configuration)
        {
            services.AddOptions<T>().Bind(configuration.GetSection(path)).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton(validator));
        }
    }

    /// <summary>A section whose options list their own problems.</summary>
    private sealed class RulesValidator<T>(Func<T, IReadOnlyList<string>> rules) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            IReadOnlyList<string> errors = rules(options);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
