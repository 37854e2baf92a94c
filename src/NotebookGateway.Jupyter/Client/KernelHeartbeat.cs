using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using NotebookGateway.Zmq;

namespace NotebookGateway.Jupyter.Client;

/// <summary>
/// Pings the kernel's heartbeat socket every interval, from the kernel's first message on (a kernel that is still
/// starting is not dead; the launcher's own timeout covers one that never starts). No answer for the timeout:
/// the kernel is declared dead with the reason.
/// </summary>
internal sealed partial class KernelHeartbeat(ZmqSocket socket, KernelClientOptions options, string kernelName, ILogger logger)
{
    /// <summary>Runs until <paramref name="stopping"/> is cancelled or the kernel is declared dead (<paramref name="onDead"/> gets the reason).</summary>
    public async Task RunAsync(Task firstContact, Action<string> onDead, CancellationToken stopping)
    {
        await Task.Yield();
        TimeProvider time = options.TimeProvider;
        try
        {
            await firstContact.WaitAsync(stopping).ConfigureAwait(false);
            long lastAnswer = time.GetTimestamp();
            while (!stopping.IsCancellationRequested)
            {
                long sent = time.GetTimestamp();
                if (await PingAsync(stopping).ConfigureAwait(false))
                {
                    lastAnswer = time.GetTimestamp();
                    TimeSpan rest = options.HeartbeatInterval - time.GetElapsedTime(sent);
                    if (rest > TimeSpan.Zero)
                    {
                        await Task.Delay(rest, time, stopping).ConfigureAwait(false);
                    }
                }
                else if (time.GetElapsedTime(lastAnswer) >= options.HeartbeatTimeout)
                {
                    string reason = $"no heartbeat for {options.HeartbeatTimeout.TotalSeconds:0.#} s";
                    Log.KernelDead(logger, kernelName, reason);
                    onDead(reason);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>One ping; true if the kernel echoed it within the interval.</summary>
    private async Task<bool> PingAsync(CancellationToken stopping)
    {
        byte[] ping = RandomNumberGenerator.GetBytes(8);
        using var attempt = new CancellationTokenSource(options.HeartbeatInterval, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token, stopping);
        try
        {
            await socket.SendAsync(new ZmqMessage(ping), linked.Token).ConfigureAwait(false);
            while (true)
            {
                ZmqMessage pong = await socket.ReceiveAsync(linked.Token).ConfigureAwait(false);
                if (pong.Count == 1 && pong[0].Span.SequenceEqual(ping))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Kernel `{KernelName}` is dead: {Reason}")]
        public static partial void KernelDead(ILogger logger, string kernelName, string reason);
    }
}
