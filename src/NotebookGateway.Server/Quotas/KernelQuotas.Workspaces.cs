namespace NotebookGateway.Server.Quotas;

/// <summary>
/// Workspace disk: every workspace a user's kernels run in (a notebook session's, a named one, or a kernel's own)
/// reserves its envelope's size from the first kernel started in it until it ends. A failed start that created the
/// reservation gives it back.
/// </summary>
public sealed partial class KernelQuotas
{
    private const long MiB = 1024 * 1024;
    private readonly Dictionary<string, (string User, long Bytes)> _workspaces = new(StringComparer.Ordinal);
    private long _globalWorkspaceBytes;

    /// <summary>
    /// Reserves <paramref name="bytes"/> for workspace <paramref name="workspaceId"/> unless it already has a reservation.
    /// Returns the refusal (naming the limit and the current use) or null; <paramref name="reserved"/> says whether this
    /// call made the reservation (and so should undo it when the start fails).
    /// </summary>
    public string? TryReserveWorkspace(string workspaceId, string user, long bytes, out bool reserved, bool force = false)
    {
        reserved = false;
        QuotaLimits limits = _options.For(user);
        lock (_lock)
        {
            if (_workspaces.ContainsKey(workspaceId))
            {
                return null;
            }
            Usage usage = UsageOf(user);
            string? refusal =
                Exceeds(limits.MaxWorkspaceMiB, (double)(usage.WorkspaceBytes + bytes) / MiB) ? $"A limit of {limits.MaxWorkspaceMiB} MiB of workspace disk per user is set; user '{user}' has {usage.WorkspaceBytes / MiB} MiB reserved by {usage.Workspaces} workspaces and this one needs {bytes / MiB} MiB."
                : Exceeds(_options.Global.MaxWorkspaceMiB, (double)(_globalWorkspaceBytes + bytes) / MiB) ? $"The gateway's limit of {_options.Global.MaxWorkspaceMiB} MiB of workspace disk is reached ({_globalWorkspaceBytes / MiB} MiB reserved; this one needs {bytes / MiB} MiB)."
                : null;
            if (refusal is not null && !force)
            {
                _rejections.Add(1, new KeyValuePair<string, object?>("kind", "workspace"));
                return refusal;
            }
            _workspaces[workspaceId] = (user, bytes);
            usage.Workspaces++;
            usage.WorkspaceBytes += bytes;
            _globalWorkspaceBytes += bytes;
            reserved = true;
            return null;
        }
    }

    /// <summary>Gives a workspace's disk back (session ended, implicit workspace's kernel gone); repeated calls are harmless.</summary>
    public void ReleaseWorkspace(string workspaceId)
    {
        lock (_lock)
        {
            if (_workspaces.Remove(workspaceId, out var entry))
            {
                Usage usage = UsageOf(entry.User);
                usage.Workspaces--;
                usage.WorkspaceBytes -= entry.Bytes;
                _globalWorkspaceBytes -= entry.Bytes;
            }
        }
    }

    /// <summary>Workspace bytes reserved by a user.</summary>
    public long WorkspaceBytesOf(string user)
    {
        lock (_lock)
        {
            return UsageOf(user).WorkspaceBytes;
        }
    }
}
