using System.Text.Json.Serialization;

namespace NotebookGateway.Jupyter.Messages.IOPub;

/// <summary>Content of <c>iopub_welcome</c> (5.5): sent by the kernel's XPUB socket when a subscription arrives. No parent header.</summary>
public sealed record IOPubWelcome
{
    /// <summary><c>subscription</c>: the topic subscribed to; empty for all topics.</summary>
    [JsonPropertyName("subscription")]
    public string Subscription { get; init => field = value ?? ""; } = "";
}
