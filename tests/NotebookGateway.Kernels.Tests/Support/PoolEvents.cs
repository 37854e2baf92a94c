using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Tests.Support;

internal static class PoolEvents
{
    /// <summary>Completes once the pool of <paramref name="spec"/> satisfies <paramref name="condition"/> (checked on each of its changes).</summary>
    /// <exception cref="TimeoutException">It did not within <paramref name="timeout"/>; the message has the last status.</exception>
    public static async Task<PoolStatus> WaitForAsync(KernelPool pool, string spec, Func<PoolStatus, bool> condition, TimeSpan timeout)
    {
        var reached = new TaskCompletionSource<PoolStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(object? sender, EventArgs e)
        {
            if (pool.Status(spec) is var status && condition(status))
            {
                reached.TrySetResult(status);
            }
        }

        pool.Changed += Check;
        try
        {
            Check(null, EventArgs.Empty);
            return await reached.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The pool of {spec} did not reach the expected state within {timeout.TotalSeconds:0} s; it is {pool.Status(spec)}.");
        }
        finally
        {
            pool.Changed -= Check;
        }
    }
}
