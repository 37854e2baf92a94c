using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Tests.Support;

internal static class KernelEvents
{
    /// <summary>Completes with the first change of <paramref name="kernelId"/> into <paramref name="state"/> after the call.</summary>
    public static Task<KernelStateChangedEventArgs> WaitForAsync(SandboxKernelManager manager, string kernelId, SandboxKernelState state)
    {
        var tcs = new TaskCompletionSource<KernelStateChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<KernelStateChangedEventArgs>? handler = null;
        handler = (_, e) =>
        {
            if (e.Kernel.Id == kernelId && e.State == state && tcs.TrySetResult(e))
            {
                manager.KernelStateChanged -= handler;
            }
        };
        manager.KernelStateChanged += handler;
        return tcs.Task;
    }

    /// <summary>Polls a host-side condition (cgroup counters and the like) until it holds or the timeout passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await timer.WaitForNextTickAsync();
        }

        return true;
    }
}
