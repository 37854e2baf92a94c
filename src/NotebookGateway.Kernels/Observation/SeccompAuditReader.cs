using System.Buffers.Binary;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using NotebookGateway.Kernels.Interop;

namespace NotebookGateway.Kernels.Observation;

/// <summary>A logged or refused syscall, with the container its process was in when the record arrived (if still alive).</summary>
public sealed record SyscallAttempt(SeccompAuditRecord Record, string? ContainerId, DateTimeOffset SeenAt);

/// <summary>
/// Reads the host's seccomp audit records on a thread of its own (a blocking netlink socket, one owner) and hands them
/// on through a bounded queue; when the consumer falls behind, the oldest go and are counted. The container is looked
/// up at once from the process's cgroup, before a short-lived process is gone; the uid is the fallback.
/// </summary>
public sealed partial class SeccompAuditReader : IDisposable
{
    private readonly Channel<SyscallAttempt> _attempts;
    private readonly TimeProvider _time;
    private readonly int _receiveBufferBytes;
    private Thread? _thread;
    private volatile bool _stopping;
    private long _dropped;
    private long _lost;
    private int _lastPid = -1;        // the reader thread's own: the last process looked up, and when
    private string? _lastContainer;
    private long _lastPidAt;

    public SeccompAuditReader(TimeProvider time, int queueCapacity = 4096, int receiveBufferBytes = 4 << 20)
    {
        _time = time;
        _receiveBufferBytes = receiveBufferBytes;
        _attempts = Channel.CreateBounded<SyscallAttempt>(new BoundedChannelOptions(queueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
        }, _ => Interlocked.Increment(ref _dropped));
    }

    public ChannelReader<SyscallAttempt> Attempts => _attempts.Reader;

    /// <summary>Attempts dropped because the consumer fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Times the kernel reported records lost before they reached this socket (ENOBUFS).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Subscribes to the audit log and starts reading.</summary>
    /// <exception cref="IOException">The host gives no audit records to this process (not root, no audit support).</exception>
    public void Start()
    {
        int fd = AuditNetlink.Open(_receiveBufferBytes, TimeSpan.FromMilliseconds(250));
        _thread = new Thread(() => Run(fd)) { IsBackground = true, Name = "seccomp-audit" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stopping = true;
        _thread?.Join(TimeSpan.FromSeconds(2));
        _attempts.Writer.TryComplete();
    }

    private void Run(int fd)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (!_stopping)
            {
                int received = AuditNetlink.Receive(fd, buffer);
                if (received == -AuditNetlink.ENOBUFS)
                {
                    Interlocked.Increment(ref _lost);
                    continue;
                }
                if (received < 0)
                {
                    break;
                }
                ReadMessages(buffer.AsSpan(0, received));
            }
        }
        finally
        {
            AuditNetlink.Close(fd);
            _attempts.Writer.TryComplete();
        }
    }

    /// <summary>Netlink messages: a 16-byte header (length, type, …), the record's text, padding to 4 bytes.</summary>
    private void ReadMessages(ReadOnlySpan<byte> data)
    {
        while (data.Length >= AuditNetlink.HeaderBytes)
        {
            int length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(data), (uint)data.Length);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
            if (length < AuditNetlink.HeaderBytes)
            {
                return;
            }
            if (type == SeccompAuditRecord.AuditSeccomp && SeccompAuditRecord.TryParse(data[AuditNetlink.HeaderBytes..length]) is { } record)
            {
                _attempts.Writer.TryWrite(new SyscallAttempt(record, CachedContainerOf(record.Pid), _time.GetUtcNow()));
            }
            int next = (length + 3) & ~3;
            data = next >= data.Length ? [] : data[next..];
        }
    }

    /// <summary>
    /// A loop of denied calls is one process: its container is read from /proc once and reused for a second (a pid is
    /// not reused that fast), instead of once per record.
    /// </summary>
    private string? CachedContainerOf(int pid)
    {
        long now = _time.GetTimestamp();
        if (pid != _lastPid || _time.GetElapsedTime(_lastPidAt, now) > TimeSpan.FromSeconds(1))
        {
            (_lastPid, _lastContainer, _lastPidAt) = (pid, ContainerOf(pid), now);
        }
        return _lastContainer;
    }

    /// <summary>The container of a process, from its cgroup path (Docker or Podman, cgroupfs or systemd driver, v1 or v2).</summary>
    public static string? ContainerOf(int pid)
    {
        try
        {
            string cgroups = File.ReadAllText($"/proc/{pid}/cgroup");
            return ContainerIdPattern().Match(cgroups) is { Success: true } match ? match.Groups[1].Value : null;
        }
        catch (IOException)
        {
            return null; // gone already
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"(?:/docker/|docker-|libpod-)([0-9a-f]{64})(?:\.scope)?(?:$|\n|/)", RegexOptions.Multiline)]
    private static partial Regex ContainerIdPattern();
}
