using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// Kernels started with <c>KERNEL_LEASE_SECONDS</c> in their <c>env</c> live only while a client holds them: a leased
/// kernel without any open connection (websocket or hub) for that long is shut down, whatever the idle culler says.
/// A client that dies without a word (the kernelspec bridge under SIGKILL) so leaves nothing behind for longer than
/// its lease plus <see cref="LeaseOptions.CheckIntervalSeconds"/> (and the shutdown itself).
/// </summary>
public sealed partial class KernelLeases(GatewayKernelRegistry kernels, IOptions<LeaseOptions> options, TimeProvider time, ILogger<KernelLeases> logger,
    IMeterFactory meterFactory) : BackgroundService
{
    /// <summary>The <c>env</c> member that asks for a lease; consumed by the gateway, never passed to the kernel.</summary>
    public const string Variable = "KERNEL_LEASE_SECONDS";

    public const string MeterName = "NotebookGateway.Leases";

    // The host's factory owns the meter.
    private readonly Counter<long> _expired = meterFactory.Create(MeterName).CreateCounter<long>(
        "kernel_leases_expired", description: "Leased kernels shut down because no client held them for their lease.");

    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);

    /// <summary>Shutdowns of lapsed leases still under way (awaited when the service stops).</summary>
    private readonly ConcurrentDictionary<string, Task> _expiring = new(StringComparer.Ordinal);

    /// <summary>Leased kernels not yet ended (for tests and diagnostics).</summary>
    public int Count => _leases.Count;

    /// <summary>Reads a requested lease; null and the seconds when acceptable, otherwise the reason for a 400.</summary>
    public string? Parse(string text, out int seconds)
    {
        LeaseOptions settings = options.Value;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out seconds)
            || seconds < settings.MinSeconds || seconds > settings.MaxSeconds)
        {
            return $"'{Variable}' must be a whole number of seconds from {settings.MinSeconds} to {settings.MaxSeconds}.";
        }
        return null;
    }

    /// <summary>
    /// Starts the lease of a kernel just started, or taken back after a restart; its clock runs from now until a client
    /// connects. The lease is recorded with the kernel, so that the next start holds it to it again.
    /// </summary>
    public void Hold(string kernelId, int seconds)
    {
        _leases[kernelId] = new Lease(TimeSpan.FromSeconds(seconds), time.GetUtcNow());
        kernels.RecordLease(kernelId, seconds);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                ExpireOnce(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(_expiring.Values);
        }
    }

    /// <summary>
    /// One pass: starts the shutdown of every lapsed lease and returns. A shutdown takes seconds (the kernel's grace,
    /// the container's removal), and awaiting it here held every other lease past its time until it was done.
    /// </summary>
    private void ExpireOnce(CancellationToken cancellationToken)
    {
        if (_leases.IsEmpty)
        {
            return; // the common case: no kernel asked for a lease, so no list of every kernel every tick
        }
        DateTimeOffset now = time.GetUtcNow();
        var live = kernels.All.ToDictionary(k => k.Id, StringComparer.Ordinal);
        foreach ((string id, Lease lease) in _leases)
        {
            if (!live.TryGetValue(id, out GatewayKernel? kernel))
            {
                _leases.TryRemove(id, out _); // ended some other way
                continue;
            }
            if (kernel.Channels.Connections > 0)
            {
                lease.HeldAt = now;
                continue;
            }
            if (now - lease.HeldAt < lease.Duration || !_leases.TryRemove(id, out _))
            {
                continue;
            }
            Task shutdown = ShutDownLapsedAsync(kernel, lease, cancellationToken);
            _expiring[id] = shutdown;
            if (shutdown.IsCompleted)
            {
                _expiring.TryRemove(id, out _); // done before it was recorded: its own removal came first
            }
        }
    }

    private async Task ShutDownLapsedAsync(GatewayKernel kernel, Lease lease, CancellationToken cancellationToken)
    {
        try
        {
            Log.Expired(logger, kernel.Id, kernel.Owner, (int)lease.Duration.TotalSeconds);
            kernel.Channels.PublishNotice($"[the gateway shut this kernel down: no client held it for its lease of {(int)lease.Duration.TotalSeconds} s]\n");
            await kernels.ShutdownAsync(kernel, cancellationToken);
            _expired.Add(1);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ShutdownFailed(logger, kernel.Id, ex);
        }
        catch (OperationCanceledException)
        {
            // The gateway is stopping: it removes its kernels itself.
        }
        finally
        {
            _expiring.TryRemove(kernel.Id, out _);
        }
    }

    private sealed class Lease(TimeSpan duration, DateTimeOffset heldAt)
    {
        public TimeSpan Duration { get; } = duration;

        /// <summary>When a client was last seen holding the kernel (or when the lease began).</summary>
        public DateTimeOffset HeldAt { get; set; } = heldAt;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3801, Level = LogLevel.Information, Message = "Kernel `{KernelId}` of `{Owner}`: lease of {Seconds} s lapsed without a client; shutting it down")]
        public static partial void Expired(ILogger logger, string kernelId, string owner, int seconds);

        [LoggerMessage(EventId = 3802, Level = LogLevel.Warning, Message = "Shutting down kernel `{KernelId}` after its lease lapsed failed")]
        public static partial void ShutdownFailed(ILogger logger, string kernelId, Exception exception);
    }
}
