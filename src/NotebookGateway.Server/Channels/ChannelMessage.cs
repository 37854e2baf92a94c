using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Server.Channels;

/// <summary>A message on its way to a client, with the channel it travels on.</summary>
public readonly record struct ChannelMessage(JupyterMessage Message, MessageChannel Channel);
