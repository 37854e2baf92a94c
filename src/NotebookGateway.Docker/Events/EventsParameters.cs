using NotebookGateway.Docker.Models;

namespace NotebookGateway.Docker.Events;

/// <summary>Options of <c>GET /events</c>.</summary>
public sealed record EventsParameters
{
    /// <summary>E.g. <c>type=container</c>, <c>event=die</c>, <c>event=oom</c>, <c>label=k=v</c>, <c>container=id</c>.</summary>
    public DockerFilters? Filters { get; init; }

    /// <summary>
    /// Replay events from this moment (the engine keeps a short history). Set it to a time before the action
    /// being watched to close the race between opening the stream and the action.
    /// </summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>End the stream at this moment; null streams until cancelled.</summary>
    public DateTimeOffset? Until { get; init; }
}
