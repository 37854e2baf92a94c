namespace NotebookGateway.Kernels.Options;

/// <summary>How a notebook session's workspace is stored on the host.</summary>
public enum WorkspaceBackendKind
{
    /// <summary>A sparse ext4 image per session, loop-mounted: the image size is the cap (ENOSPC), inodes included.</summary>
    LoopImage,

    /// <summary>A plain directory (0700, owned by the session uid) with no size cap; for development hosts without loop devices.</summary>
    Directory,
}
