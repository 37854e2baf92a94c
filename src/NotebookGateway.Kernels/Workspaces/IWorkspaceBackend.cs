namespace NotebookGateway.Kernels.Workspaces;

/// <summary>Stores one session's workspace under a root-only host directory the registry created for it.</summary>
public interface IWorkspaceBackend
{
    /// <summary>Whether a full workspace fails with ENOSPC at the size given to <see cref="CreateAsync"/>.</summary>
    bool EnforcesSize { get; }

    /// <summary>Creates the workspace in <paramref name="directory"/>; returns the host path to bind-mount into sandboxes.</summary>
    Task<string> CreateAsync(string directory, uint uid, uint gid, long sizeBytes, CancellationToken cancellationToken);

    /// <summary>
    /// The host path of a workspace an earlier gateway process created in <paramref name="directory"/>, if it is still
    /// whole (mounted, owned by <paramref name="uid"/>): a restarted gateway keeps it rather than making a new one.
    /// </summary>
    string? FindExisting(string directory, uint uid);

    /// <summary>Removes the workspace and <paramref name="directory"/> without following links; returns what could not be removed.</summary>
    Task<IReadOnlyList<string>> RemoveAsync(string directory, CancellationToken cancellationToken);
}
