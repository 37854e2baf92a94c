namespace NotebookGateway.Kernels.Options;

/// <summary>
/// The uids (and equal gids) handed to notebook sessions, one per session. The range must not hold host accounts;
/// uids that appear in /etc/passwd, /etc/group or a subordinate-id range are skipped anyway.
/// </summary>
public sealed class UidRangeOptions
{
    /// <summary>First uid of the range. Above Debian's account ranges and 65534 (nobody) by default.</summary>
    public long First { get; set; } = 200_000;

    public int Count { get; set; } = 100_000;

    public long Last => First + Count - 1;
}
