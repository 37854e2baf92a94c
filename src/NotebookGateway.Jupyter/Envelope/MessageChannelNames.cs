using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Jupyter.Envelope;

/// <summary>Channel names as the websocket protocol spells them.</summary>
public static class MessageChannelNames
{
    public static string ToWireName(this MessageChannel channel) => channel switch
    {
        MessageChannel.Shell => "shell",
        MessageChannel.Control => "control",
        MessageChannel.Stdin => "stdin",
        MessageChannel.IOPub => "iopub",
        MessageChannel.Heartbeat => "hb",
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };

    /// <summary>Parses the four message channels; heartbeat is never exposed to clients.</summary>
    public static bool TryParse(string? name, out MessageChannel channel)
    {
        switch (name)
        {
            case "shell": channel = MessageChannel.Shell; return true;
            case "control": channel = MessageChannel.Control; return true;
            case "stdin": channel = MessageChannel.Stdin; return true;
            case "iopub": channel = MessageChannel.IOPub; return true;
            default: channel = default; return false;
        }
    }
}
