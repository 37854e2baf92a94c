using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Shell;

namespace NotebookGateway.Jupyter.Client;

/// <summary>
/// When a kernel is ready: every channel's handshake is done, it answers kernel_info, and an iopub message has arrived,
/// so the SUB socket is connected and no output of the next request is lost (jupyter_server's "nudge").
/// </summary>
internal static class KernelReadiness
{
    /// <exception cref="TimeoutException">Not ready within <paramref name="timeout"/> (on the client's clock).</exception>
    public static async Task<JupyterMessage> WaitAsync(KernelClient client, Task handshakes, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await handshakes.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The kernel's sockets did not all connect within {timeout}.");
        }
        var iopubSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = client.SubscribeIOPub(_ => iopubSeen.TrySetResult());
        // Every attempt stays pending until the end: a kernel answers in order, so the first request's reply
        // is the first to come, and waiting only for the latest attempt would throw it away.
        using var attempts = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var sent = new List<Task<JupyterMessage>>();
        void Ask() => sent.Add(client.RequestAsync(client.CreateMessage(new KernelInfoRequest()), MessageChannel.Shell, null, attempts.Token));
        TimeSpan retry = TimeSpan.FromMilliseconds(200);
        try
        {
            JupyterMessage? info = null;
            while (info is null)
            {
                Ask();
                Task delay = Task.Delay(retry, time, cts.Token);
                Task finished = await Task.WhenAny([.. sent, delay]).ConfigureAwait(false);
                if (finished != delay)
                {
                    info = await ((Task<JupyterMessage>)finished).ConfigureAwait(false); // a fault (kernel died) surfaces here
                }
                retry = TimeSpan.FromMilliseconds(Math.Min(retry.TotalMilliseconds * 2, 2000));
            }
            while (!iopubSeen.Task.IsCompleted)
            {
                // The kernel's status for our request may have been published before SUB connected: ask again.
                Ask();
                await Task.WhenAny(iopubSeen.Task, Task.Delay(retry, time, cts.Token)).ConfigureAwait(false);
            }
            return info;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The kernel did not become ready within {timeout}.");
        }
        finally
        {
            // Unanswered attempts leave the pending map now instead of waiting forever.
            await attempts.CancelAsync().ConfigureAwait(false);
            _ = Task.WhenAll(sent).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }
}
