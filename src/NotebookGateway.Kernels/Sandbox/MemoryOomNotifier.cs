using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NotebookGateway.Kernels.Interop;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// OOM kills at a container's memory limit as the host kernel announces them: an eventfd registered for the cgroup v1
/// <c>memory.oom_control</c> through <c>cgroup.event_control</c> (what containerd does for dockerd's oom events).
/// Podman 4.3 with runc on cgroup v1 reports an OOM kill neither as an event nor as OOMKilled, so without this a kernel
/// killed at its limit would read as "killed by signal 9". One thread of its own polls every registration; a
/// notification while the cgroup exists calls back (the kernel sends it as the OOM killer is invoked), and the one it
/// sends when the cgroup is removed ends the registration.
/// </summary>
public sealed unsafe class MemoryOomNotifier : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Registration> _registrations = [];
    private readonly int _wake;
    private Thread? _thread;
    private bool _disposed;

    public MemoryOomNotifier()
    {
        _wake = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (_wake < 0)
        {
            throw new IOException($"eventfd failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>Registrations not yet ended by their cgroup's removal.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _registrations.Count;
            }
        }
    }

    /// <summary>Calls <paramref name="onOomKill"/> (on the notifier's thread; keep it short) at each OOM kill in the cgroup.</summary>
    /// <returns>False when the cgroup cannot be watched: gone already, or not a cgroup v1 memory directory.</returns>
    public bool Watch(string memoryDirectory, Action onOomKill)
    {
        var control = LibC.Open(Path.Combine(memoryDirectory, "memory.oom_control"), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (control < 0)
        {
            return false;
        }

        var eventFd = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (eventFd < 0)
        {
            _ = LibC.Close(control);
            return false;
        }

        var registration = new Registration(eventFd, control, onOomKill);
        try
        {
            using var handle = File.OpenHandle(Path.Combine(memoryDirectory, "cgroup.event_control"), FileMode.Open, FileAccess.Write);
            RandomAccess.Write(handle, Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{eventFd} {control}")), 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            registration.Close();
            return false;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                registration.Close();
                return false;
            }

            _registrations.Add(registration);
            _thread ??= StartThread();
        }

        Signal(_wake);
        return true;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_thread is null)
            {
                _ = LibC.Close(_wake);
                return;
            }
        }

        // The thread owns the descriptors from here: it closes them all and ends.
        Signal(_wake);
    }

    private Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "nbgw-oom-notifier" };
        thread.Start();
        return thread;
    }

    private void Run()
    {
        var polled = new LibC.PollFd[1];
        var current = new List<Registration>();
        while (true)
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    break;
                }

                current.Clear();
                current.AddRange(_registrations);
            }

            if (polled.Length < current.Count + 1)
            {
                polled = new LibC.PollFd[(current.Count + 1) * 2];
            }

            polled[0] = new LibC.PollFd { Fd = _wake, Events = LibC.POLLIN };
            for (var i = 0; i < current.Count; i++)
            {
                polled[i + 1] = new LibC.PollFd { Fd = current[i].EventFd, Events = LibC.POLLIN };
            }

            int ready;
            fixed (LibC.PollFd* fds = polled)
            {
                ready = LibC.Poll(fds, (nuint)(current.Count + 1), -1);
            }

            if (ready <= 0)
            {
                continue; // EINTR
            }

            Drain(_wake);
            for (var i = 0; i < current.Count; i++)
            {
                if (polled[i + 1].Revents != 0)
                {
                    Notified(current[i]);
                }
            }
        }

        lock (_gate)
        {
            foreach (var registration in _registrations)
            {
                registration.Close();
            }

            _registrations.Clear();
        }

        _ = LibC.Close(_wake);
    }

    private void Notified(Registration registration)
    {
        Drain(registration.EventFd);
        if (!Exists(registration.ControlFd))
        {
            // The cgroup was removed (its files answer ENODEV): the kernel's last notification for it.
            lock (_gate)
            {
                _registrations.Remove(registration);
            }

            registration.Close();
            return;
        }

        // The kernel notifies as the cgroup runs out of memory, just before its OOM killer picks a process.
        try
        {
            registration.OnOomKill();
        }
        catch (Exception)
        {
            // A callback's failure must not end this thread (and with it the process).
        }
    }

    /// <summary>Whether the cgroup behind <c>memory.oom_control</c> still exists (a removed one answers reads with ENODEV).</summary>
    private static bool Exists(int control)
    {
        var buffer = stackalloc byte[256];
        return LibC.PRead(control, buffer, 256, 0) > 0;
    }

    private static void Signal(int eventFd)
    {
        var one = 1UL;
        _ = LibC.Write(eventFd, (byte*)&one, sizeof(ulong));
    }

    private static void Drain(int eventFd)
    {
        ulong count;
        _ = LibC.Read(eventFd, (byte*)&count, sizeof(ulong));
    }

    private sealed class Registration(int eventFd, int controlFd, Action onOomKill)
    {
        public int EventFd { get; } = eventFd;

        public int ControlFd { get; } = controlFd;

        public Action OnOomKill { get; } = onOomKill;

        public void Close()
        {
            _ = LibC.Close(EventFd);
            _ = LibC.Close(ControlFd);
        }
    }
}
