using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NotebookGateway.Testing;

namespace NotebookGateway.Bench;

/// <summary>
/// Debian's nginx on 127.0.0.1 serving one file of a given size with <c>sendfile</c> (its usual way of serving a static
/// download), in its own process: the egress benchmark's second server, beside the Kestrel server that lives in the
/// benchmark's (and the proxy's) process and writes every byte from user memory.
/// </summary>
internal sealed class NginxFileServer : IDisposable
{
    private const string Nginx = "/usr/sbin/nginx";
    private static readonly string[] TempPaths = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"];
    private readonly Process _process;
    private readonly string _prefix;

    private NginxFileServer(Process process, string prefix, int port)
    {
        _process = process;
        _prefix = prefix;
        Port = port;
    }

    public int Port { get; }

    public const string FileName = "blob";

    public static async Task<NginxFileServer> StartAsync(long size)
    {
        if (!File.Exists(Nginx))
        {
            throw new InvalidOperationException($"{Nginx} is missing: install Debian's nginx-light (scripts/setup.sh does)");
        }

        // nginx's worker runs as www-data: the folders it serves from and the file are readable by all.
        string prefix = Directory.CreateTempSubdirectory("nbgw-bench-nginx-").FullName;
        File.SetUnixFileMode(prefix, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(prefix, "root"), (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        await using (var file = File.Create(Path.Combine(prefix, "root", FileName)))
        {
            var chunk = new byte[1 << 20];
            Random.Shared.NextBytes(chunk);
            for (long written = 0; written < size; written += chunk.Length)
            {
                await file.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - written)));
            }
        }

        int port = LoopbackPorts.Free(); // nginx cannot be told to take any port and say which
        string temp = string.Join(' ', TempPaths.Select(t => $"{t}_temp_path {prefix}/{t};"));
        await File.WriteAllTextAsync(Path.Combine(prefix, "nginx.conf"), $$"""
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/logs/error.log;
            events { worker_connections 1024; }
            http {
              access_log off;
              sendfile on;
              tcp_nopush on;
              {{temp}}
              server { listen 127.0.0.1:{{port}}; root {{prefix}}/root; }
            }
            """);
        var process = Process.Start(new ProcessStartInfo(Nginx, ["-c", Path.Combine(prefix, "nginx.conf"), "-p", prefix, "-g", "daemon off;"]))!;
        var server = new NginxFileServer(process, prefix, port);
        try
        {
            await WaitListeningAsync(process, port);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        Directory.Delete(_prefix, recursive: true);
    }

    private static async Task WaitListeningAsync(Process process, int port)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {process.ExitCode} before listening on {port}");
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(20); // a bench helper: nginx gives no other sign that it listens
            }
        }
    }
}
