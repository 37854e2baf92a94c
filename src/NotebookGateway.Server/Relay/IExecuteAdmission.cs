using NotebookGateway.Jupyter.Envelope;

namespace NotebookGateway.Server.Relay;

/// <summary>
/// A check an execute_request passes before it reaches the kernel (the owner's execute rate, the admission rules on
/// the code). <see cref="KernelChannels"/> asks each in order, whatever the transport; the first refusal answers the
/// cell in the kernel's place and is reported to the <see cref="IExecutionObserver"/> with <see cref="Limit"/> (and the
/// refusal's <see cref="ExecutionRefusal.Rule"/>, if it names one). The execution limits' own check (the CPU budget)
/// comes last, through <see cref="IExecutionObserver.Admit"/>. Must not block (a bounded evaluation, such as a regular
/// expression with a timeout, is fine).
/// </summary>
public interface IExecuteAdmission
{
    /// <summary>What a refusal is counted and audited as (<c>rate</c>, <c>admission</c>, …).</summary>
    string Limit { get; }

    /// <summary>Null lets the execute_request through; a refusal is answered in its place.</summary>
    ExecutionRefusal? Check(JupyterMessage request);
}
