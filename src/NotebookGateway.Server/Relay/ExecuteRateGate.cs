using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Server.RateLimiting;

namespace NotebookGateway.Server.Relay;

/// <summary>
/// The execute rate limit of one kernel's owner: an admission check <see cref="KernelChannels"/> makes for every
/// transport. A refused execute_request never reaches the kernel; the client gets what a kernel would send for a failed
/// cell (busy, a stderr stream, idle on iopub and an error execute_reply) so the cell finishes with the reason instead
/// of hanging.
/// </summary>
public sealed class ExecuteRateGate(GatewayRateLimiter limiter, string owner, TimeProvider? timeProvider = null) : IExecuteAdmission
{
    public const string ErrorName = "RateLimitExceeded";

    public string Limit => "rate";

    /// <summary>Null when <paramref name="request"/> may go to the kernel; otherwise the messages that answer it.</summary>
    public ExecutionRefusal? Check(JupyterMessage request) =>
        request.MsgType == MessageTypes.ExecuteRequest && limiter.TryExecute(owner) is { } refusal
            ? GatewayMessages.RefuseExecute(request, ErrorName, $"[{refusal.Message}]", timeProvider)
            : null;
}
