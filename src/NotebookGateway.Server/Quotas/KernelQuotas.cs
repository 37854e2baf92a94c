using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Quotas;

/// <summary>
/// Per-user and global reservations for kernels and sessions. A kernel's slot is taken before its container is
/// created (so N concurrent starts against a limit of L create exactly L) and given back when the start fails
/// or the kernel goes away.
/// </summary>
public sealed partial class KernelQuotas
{
    public const string MeterName = "NotebookGateway.Quotas";

    private readonly Counter<long> _rejections;
    private readonly QuotaOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Usage> _byUser = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string User, int MemoryMiB, double Cpus)> _kernels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _sessions = new(StringComparer.Ordinal);
    private int _globalKernels;

    /// <param name="meterFactory">Where <c>quota_rejections</c> lives (the host's; a meter of its own without one).</param>
    public KernelQuotas(IOptions<QuotaOptions> options, IMeterFactory? meterFactory = null)
    {
        _options = options.Value;
        Meter meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _rejections = meter.CreateCounter<long>("quota_rejections", description: "Requests refused by a quota, by kind.");
    }

    /// <summary>Every kind of rejection at 0 (once the exporter listens), so an alert on an increase fires on the first.</summary>
    public void ExportZeros()
    {
        foreach (string kind in (string[])["kernels", "sessions", "workspace"])
        {
            _rejections.Add(0, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    /// <summary>
    /// Reserves a kernel slot; returns null, or the reason it is refused (naming the limit and the use). With
    /// <paramref name="force"/> the slot is taken whatever the limits (a kernel taken back after a restart already runs).
    /// </summary>
    public string? TryReserveKernel(string reservationId, string user, int memoryMiB, double cpus, bool force = false)
    {
        QuotaLimits limits = _options.For(user);
        lock (_lock)
        {
            Usage usage = UsageOf(user);
            string? refusal =
                Exceeds(limits.MaxKernels, usage.Kernels + 1) ? $"A limit of {limits.MaxKernels} kernels per user is set and user '{user}' has {usage.Kernels} running or starting."
                : Exceeds(limits.MaxMemoryMiB, usage.MemoryMiB + memoryMiB) ? $"A limit of {limits.MaxMemoryMiB} MiB of kernel memory per user is set; user '{user}' has {usage.MemoryMiB} MiB reserved and this kernel needs {memoryMiB} MiB."
                : Exceeds(limits.MaxCpus, usage.Cpus + cpus) ? $"A limit of {limits.MaxCpus} CPUs per user is set; user '{user}' has {usage.Cpus} reserved and this kernel needs {cpus}."
                : Exceeds(_options.Global.MaxKernels, _globalKernels + 1) ? $"The gateway's limit of {_options.Global.MaxKernels} kernels is reached ({_globalKernels} running or starting)."
                : null;
            if (refusal is not null && !force)
            {
                _rejections.Add(1, new KeyValuePair<string, object?>("kind", "kernels"));
                return refusal;
            }
            usage.Kernels++;
            usage.MemoryMiB += memoryMiB;
            usage.Cpus += cpus;
            _globalKernels++;
            _kernels[reservationId] = (user, memoryMiB, cpus);
            return null;
        }
    }

    /// <summary>Gives a kernel's slot back (failed start, shutdown, death); repeated calls are harmless.</summary>
    public void ReleaseKernel(string id)
    {
        lock (_lock)
        {
            if (_kernels.Remove(id, out var entry))
            {
                Usage usage = UsageOf(entry.User);
                usage.Kernels--;
                usage.MemoryMiB -= entry.MemoryMiB;
                usage.Cpus -= entry.Cpus;
                _globalKernels--;
            }
        }
    }

    public string? TryReserveSession(string sessionId, string user, bool force = false)
    {
        QuotaLimits limits = _options.For(user);
        lock (_lock)
        {
            Usage usage = UsageOf(user);
            if (Exceeds(limits.MaxSessions, usage.Sessions + 1) && !force)
            {
                _rejections.Add(1, new KeyValuePair<string, object?>("kind", "sessions"));
                return $"A limit of {limits.MaxSessions} notebook sessions per user is set and user '{user}' has {usage.Sessions}.";
            }
            usage.Sessions++;
            _sessions[sessionId] = user;
            return null;
        }
    }

    public void ReleaseSession(string sessionId)
    {
        lock (_lock)
        {
            if (_sessions.Remove(sessionId, out string? user))
            {
                UsageOf(user).Sessions--;
            }
        }
    }

    /// <summary>Kernels (running and starting) held by a user.</summary>
    public int KernelsOf(string user)
    {
        lock (_lock)
        {
            return UsageOf(user).Kernels;
        }
    }

    private static bool Exceeds(double limit, double wanted) => limit > 0 && wanted > limit;

    private Usage UsageOf(string user)
    {
        if (!_byUser.TryGetValue(user, out Usage? usage))
        {
            usage = new Usage();
            _byUser[user] = usage;
        }
        return usage;
    }

    private sealed class Usage
    {
        public int Kernels { get; set; }

        public int Sessions { get; set; }

        public int MemoryMiB { get; set; }

        public double Cpus { get; set; }

        public int Workspaces { get; set; }

        public long WorkspaceBytes { get; set; }
    }
}
