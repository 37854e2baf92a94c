using System.Globalization;
using System.Text;

namespace NotebookGateway.Kernels.Observation;

/// <summary>
/// One seccomp audit record (type 1326, <c>AUDIT_SECCOMP</c>): <c>audit(…): auid=… uid=61000 gid=… ses=… pid=4242
/// comm="python3" exe="…" sig=0 arch=c000003e syscall=101 compat=0 ip=… code=0x50000</c>. The kernel hex-encodes
/// strings with spaces or quotes (comm is the sandbox's to choose), so splitting on spaces cannot be fooled.
/// </summary>
public sealed record SeccompAuditRecord(uint Uid, int Pid, int Syscall, bool Denied, string Command)
{
    public const ushort AuditSeccomp = 1326;

    private const uint ActionMask = 0x7fff0000;
    private const uint ActionErrno = 0x00050000;
    private const uint ActionLog = 0x7ffc0000;
    private const uint X8664 = 0xc000003e;

    /// <summary>Null for anything but an x86-64 record of a logged or refused call.</summary>
    public static SeccompAuditRecord? TryParse(ReadOnlySpan<byte> utf8)
    {
        string text = Encoding.UTF8.GetString(utf8.Length > 2048 ? utf8[..2048] : utf8);
        uint? uid = null, arch = null, code = null;
        int? pid = null, syscall = null;
        string command = "";
        foreach (string field in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }
            string value = field[(equals + 1)..];
            switch (field[..equals])
            {
                case "uid": uid = ParseUInt(value); break;
                case "pid": pid = (int?)ParseUInt(value); break;
                case "syscall": syscall = (int?)ParseUInt(value); break;
                case "arch": arch = uint.TryParse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint a) ? a : null; break;
                case "code": code = value.StartsWith("0x", StringComparison.Ordinal) && uint.TryParse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint c) ? c : null; break;
                case "comm": command = value.Trim('"'); break;
            }
        }
        if (uid is null || pid is null || syscall is null || arch != X8664 || code is not { } action)
        {
            return null;
        }
        return (action & ActionMask) switch
        {
            ActionErrno => new SeccompAuditRecord(uid.Value, pid.Value, syscall.Value, Denied: true, command),
            ActionLog => new SeccompAuditRecord(uid.Value, pid.Value, syscall.Value, Denied: false, command),
            _ => null,
        };
    }

    private static uint? ParseUInt(string value) =>
        uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint parsed) && parsed <= int.MaxValue ? parsed : null;
}
