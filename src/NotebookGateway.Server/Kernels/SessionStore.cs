using System.Collections.Concurrent;

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

/// <summary>In-memory sessions, per owner.</summary>
public sealed class SessionStore
{
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
            return session;
        }
    }

    public bool Remove(string id) => _sessions.TryRemove(id, out _);
}
