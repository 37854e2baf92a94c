using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.State;
using NotebookGateway.Server.Quotas;

namespace NotebookGateway.Server.Kernels;

/// <summary>A notebook session: a path that owns a workspace and (usually) a kernel.</summary>
public sealed class SessionRecord
{
    public required string Id { get; init; }

    public required string Owner { get; init; }

    public required string Path { get; set; }

    public string Name { get; set; } = "";

    public string Type { get; set; } = "notebook";

    public string? KernelId { get; set; }

    /// <summary>The sandbox workspace key; survives kernel changes, removed with the session.</summary>
    public required string WorkspaceKey { get; init; }

    /// <summary>
    /// Kernels of other languages running in the session's workspace (kernelspec name → kernel id), started for pages
    /// that mix languages (the hub's StartKernel with this session and another kernel name). They end with the session,
    /// as every kernel of its workspace does; <see cref="KernelId"/> stays the session's own kernel.
    /// </summary>
    public ConcurrentDictionary<string, string> Companions { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The notebook sessions, per owner: in memory, and each recorded in the sandbox manager's state directory
/// (<c>api-sessions/</c>) so that a restarted gateway lists them again. Call <see cref="Save"/> after changing one.
/// </summary>
public sealed partial class SessionStore(SandboxKernelManager manager, ILogger<SessionStore> logger)
{
    private const string Category = "api-sessions";

    private readonly ConcurrentDictionary<string, SessionRecord> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _createLock = new();

    public IReadOnlyList<SessionRecord> All => _sessions.Values.ToList();

    public IReadOnlyList<SessionRecord> List(string owner) => _sessions.Values.Where(s => s.Owner == owner).ToList();

    public bool TryGet(string id, string owner, out SessionRecord session)
    {
        if (_sessions.TryGetValue(id, out SessionRecord? found) && found.Owner == owner)
        {
            session = found;
            return true;
        }
        session = null!;
        return false;
    }

    public SessionRecord? FindByPath(string owner, string path) =>
        _sessions.Values.FirstOrDefault(s => s.Owner == owner && s.Path == path);

    /// <summary>Adds the session unless one with the same path appeared meanwhile (then that one is returned).</summary>
    public SessionRecord AddOrGetExisting(SessionRecord session)
    {
        lock (_createLock)
        {
            SessionRecord? existing = FindByPath(session.Owner, session.Path);
            if (existing is not null)
            {
                return existing;
            }
            _sessions[session.Id] = session;
            Save(session);
            return session;
        }
    }

    public bool Remove(string id)
    {
        if (!_sessions.TryRemove(id, out _))
        {
            return false;
        }
        try
        {
            manager.State.Files.Delete(Category, id);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            Log.NotRecorded(logger, id, ex.Message);
        }
        return true;
    }

    /// <summary>Records the session as it is now (best effort: a failure is logged, the session lives on in memory).</summary>
    public void Save(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var saved = new SavedSession(session.Id, session.Owner, session.Path, session.Name, session.Type, session.KernelId, session.WorkspaceKey,
            new Dictionary<string, string>(session.Companions, StringComparer.Ordinal));
        try
        {
            if (_sessions.ContainsKey(session.Id))
            {
                manager.State.Files.Write(Category, session.Id, JsonSerializer.SerializeToUtf8Bytes(saved, SessionStateJsonContext.Default.SavedSession));
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            Log.NotRecorded(logger, session.Id, ex.Message);
        }
    }

    /// <summary>
    /// Takes back the sessions an earlier gateway process recorded whose workspace the sandbox manager kept (their
    /// quota slots are taken again); the others are dropped. Returns the restored sessions.
    /// </summary>
    public IReadOnlyList<SessionRecord> Restore(KernelQuotas quotas)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        var workspaces = manager.Sessions.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var restored = new List<SessionRecord>();
        foreach (Loaded<SavedSession> loaded in manager.State.Load(Category, SessionStateJsonContext.Default.SavedSession, s => s.Id))
        {
            if (loaded.Record is not { } saved || !workspaces.Contains(saved.WorkspaceKey))
            {
                Log.Dropped(logger, loaded.Name, loaded.Problem ?? "its workspace is gone");
                if (loaded.Record is not null)
                {
                    manager.State.Files.Delete(Category, loaded.Name);
                }
                continue;
            }
            var session = new SessionRecord
            {
                Id = saved.Id,
                Owner = saved.Owner,
                Path = saved.Path,
                Name = saved.Name,
                Type = saved.Type,
                KernelId = saved.KernelId,
                WorkspaceKey = saved.WorkspaceKey,
            };
            foreach (var (spec, kernelId) in saved.Companions)
            {
                session.Companions[spec] = kernelId;
            }
            _sessions[session.Id] = session;
            quotas.TryReserveSession(session.Id, session.Owner, force: true);
            restored.Add(session);
        }
        return restored;
    }

    /// <summary>Removes every recorded session (a stop that removes the kernels and workspaces: nothing is left to list).</summary>
    public void ForgetRecorded()
    {
        try
        {
            foreach (var file in manager.State.Files.ReadAll(Category))
            {
                manager.State.Files.Delete(Category, file.Name);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            Log.NotRecorded(logger, "*", ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3110, Level = LogLevel.Error, Message = "Session `{SessionId}`: its state could not be recorded: {Error}")]
        public static partial void NotRecorded(ILogger logger, string sessionId, string error);

        [LoggerMessage(EventId = 3111, Level = LogLevel.Warning, Message = "Session `{SessionId}` not taken back: {Reason}")]
        public static partial void Dropped(ILogger logger, string sessionId, string reason);
    }
}

/// <summary>A session as recorded in the state directory.</summary>
internal sealed record SavedSession(string Id, string Owner, string Path, string Name, string Type, string? KernelId, string WorkspaceKey,
    IReadOnlyDictionary<string, string> Companions);

[JsonSerializable(typeof(SavedSession))]
internal sealed partial class SessionStateJsonContext : JsonSerializerContext;
