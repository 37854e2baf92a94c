using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Workspaces;

/// <summary>A plain 0700 directory owned by the session uid. No size cap: for development hosts without loop devices.</summary>
public sealed class DirectoryWorkspaceBackend : IWorkspaceBackend
{
    public bool EnforcesSize => false;

    public Task<string> CreateAsync(string directory, uint uid, uint gid, long sizeBytes, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, LoopImageWorkspaceBackend.MountDirectoryName);
        NoFollow.CreateDirectory(path, 0b111_000_000, uid, gid);
        return Task.FromResult(path);
    }

    public string? FindExisting(string directory, uint uid) =>
        LoopImageWorkspaceBackend.OwnedDirectory(Path.Combine(directory, LoopImageWorkspaceBackend.MountDirectoryName), uid);

    public Task<IReadOnlyList<string>> RemoveAsync(string directory, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(NoFollow.DeleteTree(directory));
}
