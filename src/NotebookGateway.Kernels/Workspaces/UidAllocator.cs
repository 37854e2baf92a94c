using System.Globalization;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Workspaces;

/// <summary>
/// Hands each notebook session its own uid (gid = uid) from the configured range. A uid is never one of the host's:
/// ids named in /etc/passwd or /etc/group and ids inside /etc/subuid or /etc/subgid ranges (rootless containers of
/// host users) are skipped; the files are re-read at every allocation. Distinct uids per session keep one session's
/// processes out of another's per-uid accounting (RLIMIT_NPROC, signals, file ownership).
/// </summary>
public sealed class UidAllocator
{
    public static readonly IReadOnlyList<string> DefaultAccountFiles = ["/etc/passwd", "/etc/group", "/etc/subuid", "/etc/subgid"];

    private readonly UidRangeOptions _range;
    private readonly IReadOnlyList<string> _accountFiles;
    private readonly HashSet<uint> _inUse = [];
    private readonly Lock _lock = new();
    private long _next;

    public UidAllocator(UidRangeOptions range, IReadOnlyList<string>? accountFiles = null)
    {
        ArgumentNullException.ThrowIfNull(range);
        _range = range;
        _accountFiles = accountFiles ?? DefaultAccountFiles;
        _next = range.First;
    }

    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return _inUse.Count;
            }
        }
    }

    /// <summary>A free uid; round-robin through the range, so a released uid is not handed out again soon.</summary>
    /// <exception cref="InvalidOperationException">Every uid of the range is taken or belongs to the host.</exception>
    public uint Allocate()
    {
        var host = ReadHostIds(out var hostRanges);
        lock (_lock)
        {
            for (long i = 0; i < _range.Count; i++)
            {
                var candidate = _next;
                _next = _next >= _range.Last ? _range.First : _next + 1;
                var uid = (uint)candidate;
                if (uid is 65534 or 65535 || host.Contains(uid) || hostRanges.Any(r => uid >= r.First && uid <= r.Last) || _inUse.Contains(uid))
                {
                    continue;
                }

                _inUse.Add(uid);
                return uid;
            }
        }

        throw new InvalidOperationException($"No free sandbox uid left in {_range.First}-{_range.Last}.");
    }

    /// <summary>Marks <paramref name="uid"/> taken again (a session taken back after a restart); false if it is outside the range or taken.</summary>
    public bool Reserve(uint uid)
    {
        lock (_lock)
        {
            return uid >= _range.First && uid <= _range.Last && _inUse.Add(uid);
        }
    }

    public void Release(uint uid)
    {
        lock (_lock)
        {
            _inUse.Remove(uid);
        }
    }

    /// <summary>Ids the host uses: ids in passwd/group (fields 3 and 4), and subordinate ranges (name:first:count).</summary>
    private HashSet<uint> ReadHostIds(out List<(long First, long Last)> ranges)
    {
        var ids = new HashSet<uint>();
        ranges = [];
        foreach (var file in _accountFiles)
        {
            if (!File.Exists(file))
            {
                continue;
            }

            var subordinate = Path.GetFileName(file) is "subuid" or "subgid";
            foreach (var line in File.ReadLines(file))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                var fields = line.Split(':');
                if (subordinate)
                {
                    if (fields.Length >= 3 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                        && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0)
                    {
                        ranges.Add((first, first + count - 1));
                    }

                    continue;
                }

                foreach (var index in new[] { 2, 3 })
                {
                    if (fields.Length > index && uint.TryParse(fields[index], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                    {
                        ids.Add(id);
                    }
                }
            }
        }

        return ids;
    }
}
