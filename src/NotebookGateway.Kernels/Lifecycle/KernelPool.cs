using Microsoft.Extensions.Logging;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Kernels.Workspaces;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Warm starts: per kernelspec, sandboxes started ahead of demand exactly as a cold start makes them (a session of
/// their own with a fresh uid and an empty workspace, a fresh key and socket directory, the spec's envelope), whose
/// kernel has answered kernel_info. A start that begins a new workspace, with the spec's own environment and network
/// policy, takes one: the waiting session becomes the caller's session under the caller's id, so nothing needs to be
/// bound into the running sandbox. Each sandbox is handed out once. Everything else starts cold.
/// Refilled in the background, one start per <see cref="PoolOptions.RefillInterval"/>, within the memory budgets.
/// </summary>
public sealed partial class KernelPool(
    SandboxHost host,
    KernelSpecCatalog catalog,
    RunLauncher launcher,
    RunDeathWatcher deaths,
    SelfTestRunner selfTest,
    SessionRegistry sessions,
    OperationTracker operations,
    NetworkPolicyResolver policies,
    ContainerCgroup cgroup,
    KernelMetrics metrics,
    TimeProvider timeProvider,
    ILogger<KernelPool> logger) : IDisposable
{
    /// <summary>Session ids of waiting sandboxes start with this; a start request may not use it.</summary>
    public const string SessionPrefix = "pool:";

    /// <summary>How long a handed-out kernel has to answer the liveness kernel_info before the next one is tried.</summary>
    private static readonly TimeSpan HandOutCheck = TimeSpan.FromSeconds(2);

    /// <summary>After a failed refill the spec waits this long (a missing image must not become a start loop).</summary>
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, SpecPool> _pools = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private int _started;

    /// <summary>Raised after every change of a pool (a sandbox ready, handed out or retired).</summary>
    public event EventHandler? Changed;

    private PoolOptions Options => host.Options.Pool;

    /// <summary>What the pool of <paramref name="specName"/> holds now.</summary>
    public PoolStatus Status(string specName)
    {
        lock (_pools)
        {
            return _pools.TryGetValue(specName, out var pool)
                ? new PoolStatus(pool.Ready.Count, pool.Target, pool.LimitedByBudget, pool.ReservedMiB)
                : new PoolStatus(0, 0, false, 0);
        }
    }

    /// <summary>Starts the background refill (the manager calls it once it is ready). No-op when no spec has a pool.</summary>
    internal void Start()
    {
        if (Options.Specs.All(s => s.Value.Size == 0) || Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        lock (_pools)
        {
            foreach (var (name, settings) in Options.Specs.Where(s => s.Value.Size > 0))
            {
                _pools[name] = new SpecPool(name, settings) { LastDemand = timeProvider.GetTimestamp() };
            }
        }

        metrics.ObservePool(() => Snapshot().Select(p => (p.Name, p.Ready.Count, p.ReservedMiB)));
        operations.Track(Task.Run(() => RefillLoopAsync(operations.Stopping)));
    }

    /// <summary>
    /// A waiting sandbox for <paramref name="kernel"/>, or null (start cold). On success the run belongs to the kernel
    /// and <see cref="SandboxKernel.Session"/> is the waiting session, now under <paramref name="sessionId"/>.
    /// </summary>
    internal async Task<KernelRun?> TryHandOutAsync(SandboxKernel kernel, string sessionId, bool isImplicit, CancellationToken cancellationToken)
    {
        var pool = Find(kernel.Spec.Name);
        if (pool is null)
        {
            return null;
        }

        pool.LastDemand = timeProvider.GetTimestamp();
        if (MismatchOf(kernel, sessionId) is { } reason)
        {
            metrics.PoolMisses.Add(1, new("kernel_name", pool.Name), new("reason", reason));
            return null;
        }

        while (Take(pool) is { } entry)
        {
            _wake.Release();
            NotebookSession? session;
            try
            {
                if (!Matches(entry, kernel) || !await AnswersAsync(entry.Run, cancellationToken).ConfigureAwait(false))
                {
                    await RetireAsync(entry, "stale or not answering").ConfigureAwait(false);
                    continue;
                }

                session = await sessions.AdoptAsync(entry.Session, sessionId, isImplicit, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await RetireAsync(entry, "the start was cancelled while taking it").ConfigureAwait(false);
                throw;
            }

            if (session is null)
            {
                Return(pool, entry); // the session was made meanwhile by a start of its own
                metrics.PoolMisses.Add(1, new("kernel_name", pool.Name), new("reason", "session"));
                return null;
            }

            kernel.Session = session;
            entry.Run.Kernel = kernel;
            metrics.PoolHits.Add(1, new KeyValuePair<string, object?>("kernel_name", pool.Name));
            var waited = timeProvider.GetElapsedTime(entry.ReadyAt).TotalSeconds;
            Log.HandedOut(logger, entry.Placeholder.Id, kernel.Id, session.Key, waited);
            return entry.Run;
        }

        metrics.PoolMisses.Add(1, new("kernel_name", pool.Name), new("reason", "empty"));
        return null;
    }

    /// <summary>Forgets the waiting sandboxes (the manager tears down every run and session itself when it stops).</summary>
    /// <summary>Removes every waiting sandbox with its session and workspace (a stop that keeps the kernels: these are not theirs).</summary>
    internal async Task RetireAllAsync()
    {
        var waiting = new List<PooledSandbox>();
        lock (_pools)
        {
            foreach (var pool in _pools.Values)
            {
                while (pool.Ready.TryDequeue(out var entry))
                {
                    waiting.Add(entry);
                }

                pool.ReservedMiB = 0;
            }
        }

        foreach (var entry in waiting)
        {
            await RetireAsync(entry, "the gateway is stopping").ConfigureAwait(false);
        }
    }

    internal void Clear()
    {
        lock (_pools)
        {
            foreach (var pool in _pools.Values)
            {
                pool.Ready.Clear();
                pool.ReservedMiB = 0;
            }
        }
    }

    public void Dispose() => _wake.Dispose();

    /// <summary>Why <paramref name="kernel"/> cannot take a waiting sandbox, or null if it can.</summary>
    private string? MismatchOf(SandboxKernel kernel, string sessionId)
    {
        if (sessions.Find(sessionId) is not null)
        {
            return "session"; // an existing workspace is owned by its own uid and held by no waiting sandbox
        }

        if (!kernel.Environment.SequenceEqual(KernelEnvironment.Build(kernel.Spec.Env, null, host.Options), StringComparer.Ordinal))
        {
            return "environment"; // a running process's environment cannot be changed
        }

        return kernel.NetworkPolicy is not null ? "network_policy" : null;
    }

    /// <summary>The waiting sandbox was made from the same spec as the request's (the catalog may have been reloaded since).</summary>
    private static bool Matches(PooledSandbox entry, SandboxKernel kernel)
    {
        var (a, b) = (entry.Placeholder.Spec, kernel.Spec);
        return entry.Placeholder.Environment.SequenceEqual(kernel.Environment, StringComparer.Ordinal) && (ReferenceEquals(a, b) || (a.Argv.SequenceEqual(b.Argv, StringComparer.Ordinal) && a.Sandbox.Image == b.Sandbox.Image
            && a.Sandbox.Runtime == b.Sandbox.Runtime && a.Sandbox.Transport == b.Sandbox.Transport && a.Sandbox.Envelope == b.Sandbox.Envelope
            && a.InterruptMode == b.InterruptMode && (a.Sandbox.Entrypoint ?? []).SequenceEqual(b.Sandbox.Entrypoint ?? [], StringComparer.Ordinal)));
    }

    private static async Task<bool> AnswersAsync(KernelRun run, CancellationToken cancellationToken)
    {
        if (run.Exited.Task.IsCompleted || run.Client is not { IsAlive: true } client)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HandOutCheck);
        try
        {
            await client.KernelInfoAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex) when (ex is Jupyter.Client.KernelDiedException or ObjectDisposedException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    private async Task RefillLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await RetireUnwantedAsync().ConfigureAwait(false);
                if (await NextToFillAsync(stopping).ConfigureAwait(false) is not { } next)
                {
                    await _wake.WaitAsync(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(false);
                    continue;
                }

                if (!await FillOneAsync(next.Pool, next.Spec, stopping).ConfigureAwait(false))
                {
                    next.Pool.RetryAfter = timeProvider.GetTimestamp() + (long)(FailureBackoff.TotalSeconds * timeProvider.TimestampFrequency);
                }

                await Task.Delay(Options.RefillInterval, timeProvider, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The loop must outlive one bad pass (an engine hiccup); the next pass starts from the pools' state.
                Log.FillFailed(logger, "*", ex.Message);
                await Task.Delay(FailureBackoff, timeProvider, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>The pool furthest below its target that its budget and the global budget allow to grow, with its spec.</summary>
    private async Task<(SpecPool Pool, KernelSpec Spec)?> NextToFillAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetTimestamp();
        foreach (var pool in Snapshot().OrderBy(p => p.Ready.Count - p.Target))
        {
            pool.Target = TargetOf(pool, now);
            if (pool.Ready.Count >= pool.Target || now < pool.RetryAfter)
            {
                pool.LimitedByBudget = false;
                continue;
            }

            KernelSpec spec;
            try
            {
                spec = await catalog.GetAsync(pool.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (KernelSpecNotFoundException ex)
            {
                Log.FillFailed(logger, pool.Name, ex.Message);
                pool.RetryAfter = now + (long)(FailureBackoff.TotalSeconds * timeProvider.TimestampFrequency);
                continue;
            }

            if (policies.Resolve(spec, null) is not null)
            {
                // A policy's proxy is bound to its kernel's id, which a waiting sandbox does not know yet.
                Log.FillFailed(logger, pool.Name, $"pools serve kernelspecs without a network policy; {spec.Name} has '{spec.Sandbox.NetworkPolicy}'");
                pool.RetryAfter = long.MaxValue;
                continue;
            }

            var memory = spec.Sandbox.Envelope.MemoryMiB;
            var specBudget = pool.Settings.MemoryBudgetMiB > 0 ? pool.Settings.MemoryBudgetMiB : pool.Settings.Size * memory;
            var reservedAll = Snapshot().Sum(p => p.ReservedMiB);
            var limited = pool.ReservedMiB + memory > specBudget || reservedAll + memory > Options.MemoryBudgetMiB;
            if (limited != pool.LimitedByBudget)
            {
                pool.LimitedByBudget = limited;
                Changed?.Invoke(this, EventArgs.Empty);
            }

            if (!limited)
            {
                return (pool, spec);
            }
        }

        return null;
    }

    private int TargetOf(SpecPool pool, long now) =>
        pool.Settings.IdleSeconds > 0 && timeProvider.GetElapsedTime(pool.LastDemand, now) > pool.Settings.IdleAfter ? pool.Settings.IdleSize : pool.Settings.Size;

    /// <summary>Starts one sandbox for <paramref name="pool"/>; false if it failed.</summary>
    private async Task<bool> FillOneAsync(SpecPool pool, KernelSpec spec, CancellationToken stopping)
    {
        var id = "pool-" + RunPlanner.NewRunId();
        var placeholder = new SandboxKernel(id, spec, KernelEnvironment.Build(spec.Env, null, host.Options), timeProvider.GetUtcNow(), cgroup);
        NotebookSession? session = null;
        KernelRun? run = null;
        try
        {
            using var operation = operations.Begin(stopping, out var token);
            session = await sessions.AcquireAsync(SessionPrefix + id, isImplicit: true, spec.Sandbox.Envelope, token, durable: false).ConfigureAwait(false);
            placeholder.Session = session;
            run = await launcher.LaunchAsync(placeholder, token).ConfigureAwait(false);
            placeholder.Run = run;
            deaths.WatchHeartbeat(run);
            if (!selfTest.HasPassed(spec))
            {
                // The first kernel of a runtime proves the hardening; a Python probe runs inside it, so it is not handed out.
                await selfTest.EnsurePassedAsync(placeholder, token).ConfigureAwait(false);
                await RetireAsync(placeholder.Id, session, run, "used for the self-test").ConfigureAwait(false);
                return true;
            }

            lock (_pools)
            {
                pool.Ready.Enqueue(new PooledSandbox(placeholder, session, run, timeProvider.GetTimestamp()));
                pool.ReservedMiB += spec.Sandbox.Envelope.MemoryMiB;
            }

            Log.Filled(logger, pool.Name, id, run.StartDuration?.TotalMilliseconds ?? 0, pool.Ready.Count);
            Changed?.Invoke(this, EventArgs.Empty);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            Log.FillFailed(logger, pool.Name, ex.Message);
            if (session is not null)
            {
                await RetireAsync(placeholder.Id, session, run, "failed").ConfigureAwait(false);
            }

            return false;
        }
    }

    /// <summary>Retires waiting sandboxes that died, grew too old, or exceed their pool's target.</summary>
    private async Task RetireUnwantedAsync()
    {
        var now = timeProvider.GetTimestamp();
        var retired = new List<(PooledSandbox Entry, string Why)>();
        lock (_pools)
        {
            foreach (var pool in _pools.Values)
            {
                pool.Target = TargetOf(pool, now);
                var keep = new Queue<PooledSandbox>();
                var excess = pool.Ready.Count - pool.Target;
                while (pool.Ready.TryDequeue(out var entry))
                {
                    string? why = entry.Run is { Exited.Task.IsCompleted: true } or { Client.IsAlive: false } ? "died"
                        : timeProvider.GetElapsedTime(entry.ReadyAt, now) > pool.Settings.MaxAge ? "too old"
                        : excess > 0 ? "more than the pool needs while idle" // the oldest go first
                        : null;
                    excess -= why is null ? 0 : 1;
                    if (why is null)
                    {
                        keep.Enqueue(entry);
                    }
                    else
                    {
                        pool.ReservedMiB -= entry.Placeholder.Envelope.MemoryMiB;
                        retired.Add((entry, why));
                    }
                }

                pool.Ready = keep;
            }
        }

        foreach (var (entry, why) in retired)
        {
            await RetireAsync(entry, why).ConfigureAwait(false);
        }

        if (retired.Count > 0)
        {
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }

    private Task RetireAsync(PooledSandbox entry, string why) => RetireAsync(entry.Placeholder.Id, entry.Session, entry.Run, why);

    /// <summary>Removes a sandbox that will never be handed out: its run, then its session and workspace (never retained).</summary>
    private async Task RetireAsync(string id, NotebookSession session, KernelRun? run, string why)
    {
        Log.Retired(logger, id, why);
        if (run is not null)
        {
            await launcher.TearDownAsync(run, graceful: false).ConfigureAwait(false);
        }

        sessions.Release(session);
        await sessions.EndAsync(session.Id, retain: false, CancellationToken.None).ConfigureAwait(false);
    }

    private PooledSandbox? Take(SpecPool pool)
    {
        PooledSandbox? entry;
        lock (_pools)
        {
            if (!pool.Ready.TryDequeue(out entry))
            {
                return null;
            }

            pool.ReservedMiB -= entry.Placeholder.Envelope.MemoryMiB;
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return entry;
    }

    private void Return(SpecPool pool, PooledSandbox entry)
    {
        lock (_pools)
        {
            pool.Ready.Enqueue(entry);
            pool.ReservedMiB += entry.Placeholder.Envelope.MemoryMiB;
        }
    }

    private SpecPool? Find(string specName)
    {
        lock (_pools)
        {
            return _pools.GetValueOrDefault(specName);
        }
    }

    private List<SpecPool> Snapshot()
    {
        lock (_pools)
        {
            return [.. _pools.Values];
        }
    }

    /// <summary>A sandbox waiting in a pool: its placeholder kernel (id <c>pool-…</c>), session and run.</summary>
    private sealed record PooledSandbox(SandboxKernel Placeholder, NotebookSession Session, KernelRun Run, long ReadyAt);

    private sealed class SpecPool(string name, SpecPoolOptions settings)
    {
        public string Name { get; } = name;

        public SpecPoolOptions Settings { get; } = settings;

        public Queue<PooledSandbox> Ready { get; set; } = new();

        public int ReservedMiB { get; set; }

        public int Target { get; set; } = settings.Size;

        public bool LimitedByBudget { get; set; }

        public long LastDemand { get; set; }

        public long RetryAfter { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Pool `{Spec}`: sandbox `{Id}` ready in {Milliseconds:0} ms ({Ready} waiting)")]
        public static partial void Filled(ILogger logger, string spec, string id, double milliseconds, int ready);

        [LoggerMessage(EventId = 421, Level = LogLevel.Information, Message = "Pool sandbox `{Id}` handed out as kernel `{KernelId}`, session `{SessionKey}`, after {Seconds:0.0} s waiting")]
        public static partial void HandedOut(ILogger logger, string id, string kernelId, string sessionKey, double seconds);

        [LoggerMessage(EventId = 422, Level = LogLevel.Information, Message = "Pool sandbox `{Id}` removed: {Why}")]
        public static partial void Retired(ILogger logger, string id, string why);

        [LoggerMessage(EventId = 423, Level = LogLevel.Warning, Message = "Pool `{Spec}`: a sandbox could not be started: {Error}")]
        public static partial void FillFailed(ILogger logger, string spec, string error);
    }
}

/// <summary>A pool's state: sandboxes waiting, how many it aims for now, whether a memory budget stops it growing.</summary>
public readonly record struct PoolStatus(int Ready, int Target, bool LimitedByBudget, int ReservedMiB);
