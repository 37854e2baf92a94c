using System.Collections.Concurrent;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// What the manager has in flight: the public operations (start, restart, …) and the background handling of deaths.
/// Stopping cancels them all through one token; the manager then waits until they have cleaned up after themselves.
/// </summary>
public sealed class OperationTracker : IDisposable
{
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _stopped;

    /// <summary>Cancelled when the manager stops.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public bool IsStopped => Volatile.Read(ref _stopped) != 0;

    /// <summary>
    /// Counts one operation until the result is disposed; <paramref name="token"/> is cancelled by the caller's
    /// <paramref name="cancellationToken"/> or by <see cref="StopAsync"/>.
    /// </summary>
    public IDisposable Begin(CancellationToken cancellationToken, out CancellationToken token)
    {
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        token = linked.Token;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _inFlight.TryAdd(done.Task, 0);
        return new Scope(linked, done, _inFlight);
    }

    /// <summary>Counts a background task until it completes.</summary>
    public void Track(Task task)
    {
        _inFlight.TryAdd(task, 0);
        _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Marks the manager stopped and cancels every operation in flight.</summary>
    public Task StopAsync()
    {
        Interlocked.Exchange(ref _stopped, 1);
        return _stopping.CancelAsync();
    }

    /// <summary>Waits for what is in flight; false if some of it was still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider timeProvider)
    {
        try
        {
            await Task.WhenAll(_inFlight.Keys).WaitAsync(timeout, timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception ex) when (ex is OperationCanceledException or KernelLaunchException)
        {
            // Cancelled or failed starts undo themselves; their errors went to their callers.
        }

        return true;
    }

    public void Dispose() => _stopping.Dispose();

    private sealed class Scope(CancellationTokenSource linked, TaskCompletionSource done, ConcurrentDictionary<Task, byte> inFlight) : IDisposable
    {
        public void Dispose()
        {
            inFlight.TryRemove(done.Task, out _);
            done.TrySetResult();
            linked.Dispose();
        }
    }
}
