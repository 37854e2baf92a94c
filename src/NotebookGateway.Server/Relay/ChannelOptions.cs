namespace NotebookGateway.Server.Relay;

/// <summary>Limits on the streaming path (the <c>Channels</c> section of gateway.json).</summary>
public sealed class ChannelOptions
{
    public const string Section = "Channels";

    /// <summary>Messages kept for a client session while no socket is attached (oldest dropped beyond).</summary>
    public int OfflineBufferMessages { get; set; } = 10_000;

    /// <summary>Bytes of messages one client session holds at most, attached or not (oldest dropped beyond; the newest always fits).</summary>
    public long OfflineBufferBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>How long a detached client session's buffer is kept.</summary>
    public int OfflineBufferSeconds { get; set; } = 600;

    /// <summary>Output bytes (stream, display, results, errors) one cell may send before the rest is dropped with a notice.</summary>
    public long OutputBytesPerCell { get; set; } = 10 * 1024 * 1024;

    /// <summary>iopub rate limits over <see cref="RateWindowSeconds"/>, as jupyter_server's defaults.</summary>
    public int IOPubMessagesPerSecond { get; set; } = 1000;

    public long IOPubBytesPerSecond { get; set; } = 1_000_000;

    public double RateWindowSeconds { get; set; } = 3;

    /// <summary>Largest websocket message accepted from a client.</summary>
    public int MaxClientMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Websocket keep-alive pings.</summary>
    public int PingIntervalSeconds { get; set; } = 30;
}
