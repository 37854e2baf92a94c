namespace NotebookGateway.Jupyter.Messages;

/// <summary>
/// Wire names (<c>header.msg_type</c>) of every Jupyter message defined by messaging protocol 5.0–5.5.
/// </summary>
/// <remarks>
/// The content record for each name is listed in <see cref="MessageContentTypes"/>; the channel on which each
/// name normally travels is given by <see cref="MessageContentTypes.DefaultChannelOf(string)"/>.
/// </remarks>
public static class MessageTypes
{
    // Shell: requests from a client and the kernel's replies.

    /// <summary><c>execute_request</c> (shell).</summary>
    public const string ExecuteRequest = "execute_request";

    /// <summary><c>execute_reply</c> (shell).</summary>
    public const string ExecuteReply = "execute_reply";

    /// <summary><c>inspect_request</c> (shell).</summary>
    public const string InspectRequest = "inspect_request";

    /// <summary><c>inspect_reply</c> (shell).</summary>
    public const string InspectReply = "inspect_reply";

    /// <summary><c>complete_request</c> (shell).</summary>
    public const string CompleteRequest = "complete_request";

    /// <summary><c>complete_reply</c> (shell).</summary>
    public const string CompleteReply = "complete_reply";

    /// <summary><c>history_request</c> (shell).</summary>
    public const string HistoryRequest = "history_request";

    /// <summary><c>history_reply</c> (shell).</summary>
    public const string HistoryReply = "history_reply";

    /// <summary><c>is_complete_request</c> (shell, 5.0).</summary>
    public const string IsCompleteRequest = "is_complete_request";

    /// <summary><c>is_complete_reply</c> (shell, 5.0).</summary>
    public const string IsCompleteReply = "is_complete_reply";

    /// <summary><c>connect_request</c> (shell, deprecated since 5.1).</summary>
    public const string ConnectRequest = "connect_request";

    /// <summary><c>connect_reply</c> (shell, deprecated since 5.1).</summary>
    public const string ConnectReply = "connect_reply";

    /// <summary><c>comm_info_request</c> (shell, 5.1).</summary>
    public const string CommInfoRequest = "comm_info_request";

    /// <summary><c>comm_info_reply</c> (shell, 5.1).</summary>
    public const string CommInfoReply = "comm_info_reply";

    /// <summary><c>kernel_info_request</c> (shell; also control since 5.5).</summary>
    public const string KernelInfoRequest = "kernel_info_request";

    /// <summary><c>kernel_info_reply</c> (shell; also control since 5.5).</summary>
    public const string KernelInfoReply = "kernel_info_reply";

    // Control.

    /// <summary><c>shutdown_request</c> (control; on shell deprecated since 5.4).</summary>
    public const string ShutdownRequest = "shutdown_request";

    /// <summary><c>shutdown_reply</c> (control; ipykernel also publishes it on iopub).</summary>
    public const string ShutdownReply = "shutdown_reply";

    /// <summary><c>interrupt_request</c> (control, 5.3).</summary>
    public const string InterruptRequest = "interrupt_request";

    /// <summary><c>interrupt_reply</c> (control, 5.3).</summary>
    public const string InterruptReply = "interrupt_reply";

    /// <summary><c>debug_request</c> (control, 5.5).</summary>
    public const string DebugRequest = "debug_request";

    /// <summary><c>debug_reply</c> (control, 5.5).</summary>
    public const string DebugReply = "debug_reply";

    /// <summary><c>create_subshell_request</c> (control, 5.5).</summary>
    public const string CreateSubshellRequest = "create_subshell_request";

    /// <summary><c>create_subshell_reply</c> (control, 5.5).</summary>
    public const string CreateSubshellReply = "create_subshell_reply";

    /// <summary><c>delete_subshell_request</c> (control, 5.5).</summary>
    public const string DeleteSubshellRequest = "delete_subshell_request";

    /// <summary><c>delete_subshell_reply</c> (control, 5.5).</summary>
    public const string DeleteSubshellReply = "delete_subshell_reply";

    /// <summary><c>list_subshell_request</c> (control, 5.5).</summary>
    public const string ListSubshellRequest = "list_subshell_request";

    /// <summary><c>list_subshell_reply</c> (control, 5.5).</summary>
    public const string ListSubshellReply = "list_subshell_reply";

    // IOPub: broadcast from the kernel.

    /// <summary><c>stream</c> (iopub).</summary>
    public const string Stream = "stream";

    /// <summary><c>display_data</c> (iopub).</summary>
    public const string DisplayData = "display_data";

    /// <summary><c>update_display_data</c> (iopub, 5.1).</summary>
    public const string UpdateDisplayData = "update_display_data";

    /// <summary><c>execute_input</c> (iopub).</summary>
    public const string ExecuteInput = "execute_input";

    /// <summary><c>execute_result</c> (iopub).</summary>
    public const string ExecuteResult = "execute_result";

    /// <summary><c>error</c> (iopub).</summary>
    public const string Error = "error";

    /// <summary><c>status</c> (iopub).</summary>
    public const string Status = "status";

    /// <summary><c>clear_output</c> (iopub).</summary>
    public const string ClearOutput = "clear_output";

    /// <summary><c>debug_event</c> (iopub, 5.5).</summary>
    public const string DebugEvent = "debug_event";

    /// <summary><c>iopub_welcome</c> (iopub XPUB, 5.5).</summary>
    public const string IOPubWelcome = "iopub_welcome";

    // Comms: symmetric, no replies. Client to kernel on shell, kernel to clients on iopub.

    /// <summary><c>comm_open</c> (shell from a client, iopub from the kernel).</summary>
    public const string CommOpen = "comm_open";

    /// <summary><c>comm_msg</c> (shell from a client, iopub from the kernel).</summary>
    public const string CommMsg = "comm_msg";

    /// <summary><c>comm_close</c> (shell from a client, iopub from the kernel).</summary>
    public const string CommClose = "comm_close";

    // Stdin: the kernel asks, the client answers.

    /// <summary><c>input_request</c> (stdin, kernel to client).</summary>
    public const string InputRequest = "input_request";

    /// <summary><c>input_reply</c> (stdin, client to kernel).</summary>
    public const string InputReply = "input_reply";
}
