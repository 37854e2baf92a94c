using NotebookGateway.Jupyter.Kernel;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;

namespace NotebookGateway.Jupyter.Tests.Kernel;

/// <summary>
/// A tiny test kernel on <see cref="KernelServer"/>: echoes code to stdout and returns it upper-cased;
/// <c>fail</c> raises, <c>ask</c> reads stdin, code ending in a backslash is incomplete, <c>sleep</c> waits
/// until interrupted.
/// </summary>
internal sealed class EchoKernel : IKernelHandler
{
    private int _executionCount;

    public async ValueTask<KernelReply?> HandleAsync(KernelRequestContext context, CancellationToken cancellationToken)
    {
        switch (context.Request.MsgType)
        {
            case MessageTypes.KernelInfoRequest:
                return KernelReply.From(new KernelInfoReply
                {
                    Status = ReplyStatus.Ok,
                    ProtocolVersion = "5.3",
                    Implementation = "echo",
                    ImplementationVersion = "1.0",
                    Banner = "Echo kernel",
                    LanguageInfo = new LanguageInfo { Name = "echo", Version = "1.0", Mimetype = "text/plain", FileExtension = ".txt" },
                });
            case MessageTypes.IsCompleteRequest:
                string source = context.Request.ReadContent(JupyterMessageJsonContext.Default.IsCompleteRequest)?.Code ?? "";
                return KernelReply.From(new IsCompleteReply
                {
                    Status = source.EndsWith('\\') ? IsCompleteStatuses.Incomplete : IsCompleteStatuses.Complete,
                    Indent = source.EndsWith('\\') ? "  " : null,
                });
            case MessageTypes.ExecuteRequest:
                return await ExecuteAsync(context, cancellationToken);
            default:
                return null;
        }
    }

    private async Task<KernelReply> ExecuteAsync(KernelRequestContext context, CancellationToken cancellationToken)
    {
        string code = context.Request.ReadContent(JupyterMessageJsonContext.Default.ExecuteRequest)?.Code ?? "";
        int count = Interlocked.Increment(ref _executionCount);
        await context.PublishAsync(new ExecuteInput { Code = code, ExecutionCount = count });
        try
        {
            switch (code)
            {
                case "fail":
                    return await ErrorAsync(context, count, "EchoError", "you asked for it");
                case "ask":
                    string answer = await context.InputAsync("say? ", cancellationToken: cancellationToken);
                    await context.StreamAsync(StreamNames.Stdout, "you said " + answer + "\n");
                    break;
                case "sleep":
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    break;
                default:
                    await context.StreamAsync(StreamNames.Stdout, code + "\n");
                    await context.PublishAsync(new ExecuteResult
                    {
                        ExecutionCount = count,
                        Data = new Dictionary<string, System.Text.Json.JsonElement>
                        {
                            ["text/plain"] = System.Text.Json.JsonSerializer.SerializeToElement(code.ToUpperInvariant(), JupyterMessageJsonContext.Default.String),
                        },
                    });
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            return await ErrorAsync(context, count, "KeyboardInterrupt", "");
        }
        return KernelReply.From(new ExecuteReply { Status = ReplyStatus.Ok, ExecutionCount = count });
    }

    private static async Task<KernelReply> ErrorAsync(KernelRequestContext context, int count, string name, string value)
    {
        string[] traceback = [$"{name}: {value}"];
        await context.PublishAsync(new ErrorContent { EName = name, EValue = value, Traceback = traceback });
        return KernelReply.From(new ExecuteReply { Status = ReplyStatus.Error, ExecutionCount = count, EName = name, EValue = value, Traceback = traceback });
    }
}
