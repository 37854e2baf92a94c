namespace NotebookGateway.Kernels.Options;

/// <summary>What a graceful stop of the gateway does with its kernels (<c>Sandbox:OnStop</c>).</summary>
public enum StopBehavior
{
    /// <summary>Every kernel, socket directory and workspace is removed (the state directory is emptied).</summary>
    RemoveKernels,

    /// <summary>Kernels keep running and the state stays, for the next start to take them back (an upgrade).</summary>
    KeepKernels,
}
