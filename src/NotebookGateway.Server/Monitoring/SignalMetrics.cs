using System.Diagnostics.Metrics;

namespace NotebookGateway.Server.Monitoring;

/// <summary>
/// <c>sandbox_security_signals_total{kind,kernel_name}</c> and <c>sandbox_security_signals_by_user_total{kind,user}</c>
/// (user labels bounded by the exporter's series cap, as every per-user series). <see cref="ExportZeros"/> puts every
/// kind of every kernelspec at 0 from the start, so an alert on <c>increase()</c> fires on the first signal.
/// </summary>
public sealed class SignalMetrics : IDisposable
{
    public const string MeterName = "NotebookGateway.Monitoring";

    private readonly Meter _meter;
    private readonly Counter<long> _byKernelName;
    private readonly Counter<long> _byUser;
    private Func<(bool Available, long Lost)> _syscallRecords = () => (false, 0);

    public SignalMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _byKernelName = _meter.CreateCounter<long>("sandbox_security_signals", description: "Behaviour signals of sandboxed kernels (kind, kernelspec).");
        _byUser = _meter.CreateCounter<long>("sandbox_security_signals_by_user", description: "Behaviour signals of sandboxed kernels (kind, user).");
        _meter.CreateObservableGauge("sandbox_syscall_signals_available", () => _syscallRecords().Available ? 1 : 0,
            description: "1 while the gateway reads the host's seccomp audit records (denied syscalls are seen), else 0.");
        _meter.CreateObservableCounter("sandbox_syscall_records_lost", () => _syscallRecords().Lost,
            description: "Seccomp audit records lost before the gateway could read them (kernel buffer overruns, queue overflow).");
    }

    /// <summary>Where the syscall-record gauges read from (the audit subscriber, once it runs).</summary>
    public void ObserveSyscallRecords(Func<(bool Available, long Lost)> state) => _syscallRecords = state;

    public void Count(SignalSource source, string kind)
    {
        _byKernelName.Add(1, new("kind", kind), new("kernel_name", source.KernelName));
        _byUser.Add(1, new("kind", kind), new("user", source.User));
    }

    /// <summary>Every (kind, kernelspec) series at 0; call once the exporter listens.</summary>
    public void ExportZeros(IEnumerable<string> kinds, IEnumerable<string> kernelNames)
    {
        List<string> names = kernelNames.ToList();
        foreach (string kind in kinds)
        {
            foreach (string name in names)
            {
                _byKernelName.Add(0, new("kind", kind), new("kernel_name", name));
            }
        }
    }

    public void Dispose() => _meter.Dispose();
}
