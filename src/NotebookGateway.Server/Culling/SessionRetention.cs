namespace NotebookGateway.Server.Culling;

/// <summary>
/// Which notebook sessions have been without a kernel (deleted, culled, stopped, or dead and not restarted) for longer
/// than the retention time. Remembers since when each one has been kernel-less; a session whose kernel comes back
/// (a restart, a PATCH with a new kernel) starts from zero again.
/// </summary>
public sealed class SessionRetention(TimeProvider time)
{
    private readonly Dictionary<string, DateTimeOffset> _withoutKernelSince = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
    /// Records what one look at the sessions saw and returns the ids of those kernel-less for at least
    /// <paramref name="retention"/> (none when it is zero or less: kept forever). Sessions not in the list are forgotten.
    /// </summary>
    public IReadOnlyList<string> Expired(IEnumerable<(string SessionId, bool HasLiveKernel)> sessions, TimeSpan retention)
    {
        DateTimeOffset now = time.GetUtcNow();
        var expired = new List<string>();
        lock (_lock)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach ((string id, bool live) in sessions)
            {
                seen.Add(id);
                if (live)
                {
                    _withoutKernelSince.Remove(id);
                    continue;
                }
                if (!_withoutKernelSince.TryGetValue(id, out DateTimeOffset since))
                {
                    since = now;
                    _withoutKernelSince[id] = since;
                }
                if (retention > TimeSpan.Zero && now - since >= retention)
                {
                    expired.Add(id);
                }
            }
            foreach (string gone in _withoutKernelSince.Keys.Where(id => !seen.Contains(id)).ToList())
            {
                _withoutKernelSince.Remove(gone);
            }
        }
        return expired;
    }
}
