using System.Text.Json;
using System.Text.Json.Serialization;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;

namespace NotebookGateway.Jupyter.Connection;

/// <summary>A kernel connection file (the standard Jupyter format), for the <c>tcp</c> and <c>ipc</c> transports.</summary>
public sealed record ConnectionInfo
{
    [JsonPropertyName("transport")]
    public string Transport { get; init; } = "tcp";

    /// <summary>An address for tcp; a path prefix for ipc (each socket is <c>{ip}-{port}</c>).</summary>
    [JsonPropertyName("ip")]
    public string Ip { get; init; } = "127.0.0.1";

    [JsonPropertyName("shell_port")]
    public int ShellPort { get; init; }

    [JsonPropertyName("iopub_port")]
    public int IOPubPort { get; init; }

    [JsonPropertyName("stdin_port")]
    public int StdinPort { get; init; }

    [JsonPropertyName("control_port")]
    public int ControlPort { get; init; }

    [JsonPropertyName("hb_port")]
    public int HeartbeatPort { get; init; }

    [JsonPropertyName("key")]
    public string Key { get; init; } = "";

    [JsonPropertyName("signature_scheme")]
    public string SignatureScheme { get; init; } = MessageSigner.Scheme;

    [JsonPropertyName("kernel_name")]
    public string KernelName { get; init; } = "";

    /// <summary>ipc paths must fit sun_path (108 bytes with the terminator).</summary>
    public const int MaxIpcPathBytes = 107;

    public bool IsIpc => string.Equals(Transport, "ipc", StringComparison.Ordinal);

    public int PortOf(MessageChannel channel) => channel switch
    {
        MessageChannel.Shell => ShellPort,
        MessageChannel.IOPub => IOPubPort,
        MessageChannel.Stdin => StdinPort,
        MessageChannel.Control => ControlPort,
        MessageChannel.Heartbeat => HeartbeatPort,
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };

    /// <summary>The path of an ipc socket (no scheme), or null for tcp.</summary>
    public string? IpcPathOf(MessageChannel channel) => IsIpc ? $"{Ip}-{PortOf(channel)}" : null;

    public string EndpointOf(MessageChannel channel) => IsIpc
        ? "ipc://" + IpcPathOf(channel)
        : $"{Transport}://{(Ip.Contains(':', StringComparison.Ordinal) ? "[" + Ip + "]" : Ip)}:{PortOf(channel)}";

    public MessageSigner CreateSigner() => new(Key, SignatureScheme);

    /// <summary>An ipc connection whose sockets live at <paramref name="pathPrefix"/>-1 … -5, with a fresh key.</summary>
    public static ConnectionInfo CreateIpc(string pathPrefix, string kernelName = "")
    {
        if (System.Text.Encoding.UTF8.GetByteCount(pathPrefix) + 2 > MaxIpcPathBytes)
        {
            throw new ArgumentException($"The ipc path prefix is too long for a Unix socket path ({MaxIpcPathBytes} bytes).", nameof(pathPrefix));
        }
        return new ConnectionInfo
        {
            Transport = "ipc",
            Ip = pathPrefix,
            ShellPort = 1,
            IOPubPort = 2,
            StdinPort = 3,
            ControlPort = 4,
            HeartbeatPort = 5,
            Key = MessageSigner.NewKey(),
            KernelName = kernelName,
        };
    }

    /// <summary>A tcp connection on free loopback ports, with a fresh key. The ports are free when chosen; another process could still take one before the kernel binds it.</summary>
    public static ConnectionInfo CreateTcp(string ip = "127.0.0.1", string kernelName = "")
    {
        int[] ports = FreeTcpPorts(ip, 5);
        return new ConnectionInfo
        {
            Transport = "tcp",
            Ip = ip,
            ShellPort = ports[0],
            IOPubPort = ports[1],
            StdinPort = ports[2],
            ControlPort = ports[3],
            HeartbeatPort = ports[4],
            Key = MessageSigner.NewKey(),
            KernelName = kernelName,
        };
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ConnectionJsonContext.Default.ConnectionInfo);

    public static ConnectionInfo Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, ConnectionJsonContext.Default.ConnectionInfo)
        ?? throw new JsonException("The connection file is empty.");

    public static async Task<ConnectionInfo> LoadAsync(string path, CancellationToken cancellationToken = default) =>
        Parse(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));

    /// <summary>Writes the file readable by its owner only (it holds the key).</summary>
    public async Task SaveAsync(string path, CancellationToken cancellationToken = default)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            Options = FileOptions.Asynchronous,
        };
        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(ToJson(), cancellationToken).ConfigureAwait(false);
    }

    private static int[] FreeTcpPorts(string ip, int count)
    {
        // Hold all listeners at once so the same port is not handed out twice.
        var listeners = new List<System.Net.Sockets.TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(ip), 0);
                listener.Start();
                listeners.Add(listener);
            }
            return listeners.Select(l => ((System.Net.IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}

[JsonSerializable(typeof(ConnectionInfo))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class ConnectionJsonContext : JsonSerializerContext;
