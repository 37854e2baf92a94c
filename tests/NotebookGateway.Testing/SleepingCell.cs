using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Testing;

/// <summary>The cell every interrupt test interrupts: it prints, then sleeps far longer than any test waits.</summary>
public static class SleepingCell
{
    public const string Code = "import time\nprint('sleeping', flush=True)\ntime.sleep(120)";

    /// <summary>How soon an interrupted cell must end: far below its sleep, with room for a loaded 2-core CI machine.</summary>
    public static readonly TimeSpan InterruptedWithin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <see cref="Code"/> and returns its execution once the cell has printed, i.e. is in user code: a SIGINT
    /// landing between execute_input and the start of user code can be swallowed by IPython, and the cell sleeps on.
    /// Sent without stop_on_error, since ipykernel would abort requests that follow the KeyboardInterrupt.
    /// </summary>
    public static async Task<Task<ExecutionOutcome>> StartAsync(KernelClient client, CancellationToken cancellationToken = default)
    {
        var printed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ExecutionOutcome> running = client.ExecuteAsync(Code, new ExecuteOptions
        {
            StopOnError = false,
            OnOutput = m =>
            {
                if (m.MsgType == MessageTypes.Stream)
                {
                    printed.TrySetResult();
                }
            },
        }, cancellationToken);
        await printed.Task.WaitAsync(TestTimeouts.Long, cancellationToken);
        return running;
    }
}
