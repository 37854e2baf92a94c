namespace NotebookGateway.Kernels.Workspaces;

/// <summary>
/// A notebook session: its uid and its workspace, shared by every kernel started for it (restarts and kernel
/// changes included), removed when the session ends.
/// </summary>
public sealed class NotebookSession
{
    internal NotebookSession(string id, string key, uint uid, string directory, string workspaceHostPath, long workspaceBytes, bool isImplicit)
    {
        Id = id;
        Key = key;
        Uid = uid;
        Directory = directory;
        WorkspaceHostPath = workspaceHostPath;
        WorkspaceBytes = workspaceBytes;
        IsImplicit = isImplicit;
    }

    /// <summary>The caller's id (a notebook session, or a client-named workspace).</summary>
    public string Id { get; }

    /// <summary>The gateway's own id for it: used in labels and host paths instead of anything the client sent.</summary>
    public string Key { get; }

    public uint Uid { get; }

    public uint Gid => Uid;

    /// <summary>The session's root-only host directory.</summary>
    internal string Directory { get; }

    /// <summary>What is bind-mounted at the workspace path in each sandbox.</summary>
    public string WorkspaceHostPath { get; }

    /// <summary>The cap (0 when the backend does not enforce one).</summary>
    public long WorkspaceBytes { get; }

    /// <summary>Created for one kernel started without a session; ends with that kernel.</summary>
    public bool IsImplicit { get; }

    internal int KernelCount { get; set; }

    internal ITimer? RemovalTimer { get; set; }

    internal bool Ended { get; set; }

    internal DateTimeOffset? EndedAt { get; set; }
}
