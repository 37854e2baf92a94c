using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.State;

namespace NotebookGateway.Kernels.Workspaces;

/// <summary>
/// The live notebook sessions of one manager: each has a uid from <see cref="UidAllocator"/> and a workspace under
/// <c>{WorkspaceRoot}/{Owner}/{key}</c>. Two sessions never share either. When a session ends its workspace is
/// removed at once or after the retention period; a session that resumes before then gets it back.
/// </summary>
public sealed partial class SessionRegistry : IAsyncDisposable
{
    private readonly SandboxOptions _options;
    private readonly Func<string> _root;
    private readonly UidAllocator _uids;
    private readonly IWorkspaceBackend _backend;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KernelStateStore? _state;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, NotebookSession> _sessions = new(StringComparer.Ordinal);
    private bool _disposed;

    public SessionRegistry(SandboxOptions options, string root, UidAllocator uids, IWorkspaceBackend backend, TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _root = () => root;
        _uids = uids;
        _backend = backend;
        _time = timeProvider;
        _logger = logger;
    }

    /// <summary>The sessions of a manager, under the workspace root of <paramref name="host"/> (known once it is prepared).</summary>
    public SessionRegistry(SandboxHost host, UidAllocator uids, IWorkspaceBackend backend, TimeProvider timeProvider, ILogger<SessionRegistry> logger, KernelStateStore state)
    {
        ArgumentNullException.ThrowIfNull(host);
        _state = state;
        _options = host.Options;
        _root = () => host.WorkspaceRoot;
        _uids = uids;
        _backend = backend;
        _time = timeProvider;
        _logger = logger;
    }

    /// <summary>The directory holding this owner's workspaces.</summary>
    public string Root => _root();

    public IReadOnlyList<NotebookSession> Sessions
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Values.ToList();
            }
        }
    }

    public NotebookSession? Find(string sessionId)
    {
        lock (_sessions)
        {
            return _sessions.GetValueOrDefault(sessionId);
        }
    }

    /// <summary>The session whose gateway key is <paramref name="key"/>, or null.</summary>
    public NotebookSession? FindByKey(string key)
    {
        lock (_sessions)
        {
            return _sessions.Values.FirstOrDefault(s => s.Key == key);
        }
    }

    /// <summary>
    /// The session for <paramref name="sessionId"/>, created with a new uid and workspace (sized from
    /// <paramref name="envelope"/>) if it does not exist; counts one more kernel in it. A <paramref name="durable"/>
    /// session is recorded in the state directory (a pooled sandbox's is not: it ends with the process).
    /// </summary>
    /// <exception cref="IOException">The workspace or the session's state could not be written; nothing is left behind.</exception>
    public async Task<NotebookSession> AcquireAsync(string sessionId, bool isImplicit, SandboxEnvelope envelope, CancellationToken cancellationToken, bool durable = true)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            NotebookSession? session;
            lock (_sessions)
            {
                session = _sessions.GetValueOrDefault(sessionId);
            }

            if (session is not null)
            {
                if (session.Ended)
                {
                    // Resumed within the retention period.
                    session.RemovalTimer?.Dispose();
                    session.RemovalTimer = null;
                    session.Ended = false;
                    Save(session);
                    Log.SessionResumed(_logger, session.Key);
                }

                session.KernelCount++;
                return session;
            }

            var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            var uid = _uids.Allocate();
            var directory = Path.Combine(Root, key);
            try
            {
                NoFollow.CreateDirectory(directory, 0b111_000_000, 0, 0);
                var path = await _backend.CreateAsync(directory, uid, uid, envelope.WorkspaceBytes, cancellationToken).ConfigureAwait(false);
                session = new NotebookSession(sessionId, key, uid, directory, path, _backend.EnforcesSize ? envelope.WorkspaceBytes : 0, isImplicit)
                {
                    KernelCount = 1,
                };
                if (durable)
                {
                    Save(session);
                }
            }
            catch
            {
                _ = await _backend.RemoveAsync(directory, CancellationToken.None).ConfigureAwait(false);
                _uids.Release(uid);
                throw;
            }

            lock (_sessions)
            {
                _sessions[sessionId] = session;
            }

            Log.SessionCreated(_logger, key, uid, envelope.WorkspaceMiB, _backend.GetType().Name);
            return session;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Gives the session <paramref name="waiting"/> (made for a pooled sandbox, one kernel, never used) to
    /// <paramref name="sessionId"/>: same key, uid and workspace under the new id. Null when that id has a session
    /// already (it must keep its own workspace).
    /// </summary>
    public async Task<NotebookSession?> AdoptAsync(NotebookSession waiting, string sessionId, bool isImplicit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_sessions)
            {
                if (_sessions.ContainsKey(sessionId) || !_sessions.ContainsKey(waiting.Id))
                {
                    return null;
                }

                var adopted = new NotebookSession(sessionId, waiting.Key, waiting.Uid, waiting.Directory, waiting.WorkspaceHostPath, waiting.WorkspaceBytes, isImplicit)
                {
                    KernelCount = waiting.KernelCount,
                };
                Save(adopted); // first: if it fails, the waiting session stays as it was
                _sessions.Remove(waiting.Id);
                _sessions[sessionId] = adopted;
                return adopted;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One kernel of the session is gone (the session itself lives on until <see cref="EndAsync"/>).</summary>
    public void Release(NotebookSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_sessions)
        {
            session.KernelCount = Math.Max(0, session.KernelCount - 1);
        }
    }

    /// <summary>Ends a session: its workspace is removed now, or after the retention period. No-op for an unknown id.</summary>
    public Task EndAsync(string sessionId, CancellationToken cancellationToken = default) => EndAsync(sessionId, retain: true, cancellationToken);

    /// <summary>As <see cref="EndAsync(string, CancellationToken)"/>; <paramref name="retain"/> false removes the workspace now whatever the retention.</summary>
    public async Task EndAsync(string sessionId, bool retain, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var session = Find(sessionId);
            if (session is null || session.Ended)
            {
                return;
            }

            session.Ended = true;
            if (_options.WorkspaceRetention <= TimeSpan.Zero || _disposed || !retain)
            {
                await RemoveLockedAsync(session).ConfigureAwait(false);
                return;
            }

            Log.SessionRetained(_logger, session.Key, _options.WorkspaceRetentionMinutes);
            session.EndedAt = _time.GetUtcNow();
            Save(session);
            session.RemovalTimer = _time.CreateTimer(_ => _ = ExpireAsync(session), null, _options.WorkspaceRetention, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes every workspace (manager disposal).</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var session in Sessions)
            {
                await RemoveLockedAsync(session).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Takes back the sessions an earlier gateway process recorded whose workspace is still whole (their uids are
    /// reserved again; an ended one is removed when what is left of its retention period is over). Returns why each
    /// other record was dropped (its workspace then goes with the sweep).
    /// </summary>
    internal IReadOnlyList<string> Restore(IEnumerable<SessionStateRecord> records)
    {
        var dropped = new List<string>();
        foreach (var record in records)
        {
            var directory = Path.Combine(Root, record.Key);
            var path = _backend.FindExisting(directory, record.Uid);
            if (path is null || !_uids.Reserve(record.Uid))
            {
                dropped.Add($"session `{record.Key}`: {(path is null ? "its workspace is no longer mounted or not owned by its uid" : $"uid {record.Uid} is not available")}");
                Forget(record.Key);
                continue;
            }

            var session = new NotebookSession(record.Id, record.Key, record.Uid, directory, path, record.WorkspaceBytes, record.IsImplicit)
            {
                Ended = record.EndedAt is not null,
                EndedAt = record.EndedAt,
            };
            if (record.EndedAt is { } ended)
            {
                var left = ended + _options.WorkspaceRetention - _time.GetUtcNow();
                session.RemovalTimer = _time.CreateTimer(_ => _ = ExpireAsync(session), null, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }

            lock (_sessions)
            {
                _sessions[record.Id] = session;
            }
        }

        return dropped;
    }

    /// <summary>Counts one more kernel in a restored session (a kernel taken back after a restart).</summary>
    internal void CountKernel(NotebookSession session)
    {
        lock (_sessions)
        {
            session.KernelCount++;
        }
    }

    /// <summary>Stops the retention timers but keeps every workspace and its record (a stop that keeps kernels for the next start).</summary>
    public async Task LeaveForNextStartAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            foreach (var session in Sessions)
            {
                session.RemovalTimer?.Dispose();
                session.RemovalTimer = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Removes workspaces left under <paramref name="root"/> by an earlier gateway process: every mount below it is
    /// detached, then everything is deleted without following links.
    /// </summary>
    public IReadOnlyList<string> Sweep()
    {
        HashSet<string> keep;
        lock (_sessions)
        {
            keep = _sessions.Values.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        }

        return HostMounts.SweepExcept(Root, keep);
    }

    private async Task ExpireAsync(NotebookSession session)
    {
        try
        {
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (session.Ended && !_disposed && Find(session.Id) == session)
                {
                    await RemoveLockedAsync(session).ConfigureAwait(false);
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RemoveLockedAsync(NotebookSession session)
    {
        session.RemovalTimer?.Dispose();
        session.RemovalTimer = null;
        lock (_sessions)
        {
            _sessions.Remove(session.Id);
        }

        Forget(session);
        var failures = await _backend.RemoveAsync(session.Directory, CancellationToken.None).ConfigureAwait(false);
        if (failures.Count > 0)
        {
            Log.RemoveFailed(_logger, session.Key, string.Join("; ", failures));
        }
        else
        {
            Log.SessionRemoved(_logger, session.Key);
        }

        _uids.Release(session.Uid);
    }

    private void Save(NotebookSession session) => _state?.SaveSession(new SessionStateRecord
    {
        Id = session.Id,
        Key = session.Key,
        Uid = session.Uid,
        WorkspaceBytes = session.WorkspaceBytes,
        IsImplicit = session.IsImplicit,
        EndedAt = session.Ended ? session.EndedAt : null,
    });

    private void Forget(NotebookSession session) => Forget(session.Key);

    private void Forget(string key)
    {
        try
        {
            _state?.DeleteSession(key);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            Log.RemoveFailed(_logger, key, "its state file: " + ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Session `{Key}` created: uid {Uid}, workspace {SizeMiB} MiB ({Backend})")]
        public static partial void SessionCreated(ILogger logger, string key, uint uid, int sizeMiB, string backend);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Session `{Key}` removed with its workspace")]
        public static partial void SessionRemoved(ILogger logger, string key);

        [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Session `{Key}` ended; workspace kept for {Minutes} min")]
        public static partial void SessionRetained(ILogger logger, string key, int minutes);

        [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Session `{Key}` resumed within its retention period")]
        public static partial void SessionResumed(ILogger logger, string key);

        [LoggerMessage(EventId = 304, Level = LogLevel.Error, Message = "Workspace of session `{Key}` not fully removed: {Failures}")]
        public static partial void RemoveFailed(ILogger logger, string key, string failures);
    }
}
