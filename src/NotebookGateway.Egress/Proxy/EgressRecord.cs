namespace NotebookGateway.Egress.Proxy;

/// <summary>
/// One decision of the proxy: a refused request (at once), or an allowed connection when it ends (with its bytes).
/// What the audit log and the cell's notice are made from.
/// </summary>
public sealed record EgressRecord
{
    public required DateTimeOffset Time { get; init; }

    public required string KernelId { get; init; }

    public required string Policy { get; init; }

    /// <summary><c>allowed</c> or <c>denied</c>.</summary>
    public required string Decision { get; init; }

    /// <summary>CONNECT, or the plain HTTP method; empty when no request head was read.</summary>
    public required string Method { get; init; }

    /// <summary>host:port as requested (empty when no request head was read).</summary>
    public required string Destination { get; init; }

    /// <summary>The address connected to, or null.</summary>
    public string? Address { get; init; }

    /// <summary>Why it was refused or cut (null for a connection that ended normally).</summary>
    public string? Reason { get; init; }

    /// <summary>The HTTP status the proxy answered with (200 for an established tunnel or forwarded request).</summary>
    public required int Status { get; init; }

    public long BytesUp { get; init; }

    public long BytesDown { get; init; }

    /// <summary>The kernel's byte cap cut this connection (the cell is told).</summary>
    public bool CapExceeded { get; init; }

    public const string Allowed = "allowed";

    public const string Denied = "denied";
}
