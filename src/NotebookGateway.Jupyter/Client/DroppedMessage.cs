using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;

namespace NotebookGateway.Jupyter.Client;

/// <summary>A message from the kernel that was refused; <see cref="ParentHeaderJson"/> is empty when unreadable.</summary>
public readonly record struct DroppedMessage(MessageChannel Channel, WireError Error, long Bytes, ReadOnlyMemory<byte> ParentHeaderJson);
