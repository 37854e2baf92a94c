using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>What one bridge process leaves for the next one started with the same connection file.</summary>
public sealed record HandoffRecord(
    [property: JsonPropertyName("kernel_id")] string KernelId,
    [property: JsonPropertyName("gateway")] string Gateway,
    [property: JsonPropertyName("spec")] string Spec,
    [property: JsonPropertyName("key_sha256")] string KeySha256);

[JsonSerializable(typeof(HandoffRecord))]
internal sealed partial class HandoffJsonContext : JsonSerializerContext;

/// <summary>
/// A Jupyter tool restarts a local kernel by ending its process and starting a new one with the same connection file
/// (jupyter_client's <c>restart_kernel</c>, with or without a <c>shutdown_request</c> first; also its auto-restart after
/// a death). The bridge keeps the remote kernel's id in a small owner-only file beside the connection file, so the next
/// bridge process restarts that same kernel on the gateway (same id, same workspace) instead of starting another one.
/// The file names the connection key's hash: only the same connection adopts the kernel. It is removed when the kernel
/// is deleted; stale ones (their connection file gone) are swept by the next bridge started in the same directory.
/// </summary>
public sealed class RestartHandoff
{
    private const string Suffix = ".nbgw-bridge";

    public RestartHandoff(string connectionFile, string key)
    {
        string full = System.IO.Path.GetFullPath(connectionFile);
        Path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full) ?? "/", "." + System.IO.Path.GetFileName(full) + Suffix);
        KeySha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    public string Path { get; }

    public string KeySha256 { get; }

    /// <summary>The record left for this connection, or null (none, unreadable, or another connection's).</summary>
    public HandoffRecord? Load(Uri gateway, string spec)
    {
        try
        {
            if (!File.Exists(Path) || new FileInfo(Path).Length > 4096)
            {
                return null;
            }
            HandoffRecord? record = JsonSerializer.Deserialize(File.ReadAllBytes(Path), HandoffJsonContext.Default.HandoffRecord);
            return record is not null && record.KeySha256 == KeySha256 && record.Gateway == gateway.AbsoluteUri && record.Spec == spec
                ? record
                : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the record (owner-only, replaced atomically).</summary>
    public void Save(string kernelId, Uri gateway, string spec)
    {
        string temporary = Path + "." + Environment.ProcessId + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, new HandoffRecord(kernelId, gateway.AbsoluteUri, spec, KeySha256), HandoffJsonContext.Default.HandoffRecord);
        }
        File.Move(temporary, Path, overwrite: true);
    }

    public void Delete()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Removes records whose connection file is gone (a tool that ended without shutting its kernel down).</summary>
    public static int SweepStale(string directory)
    {
        int removed = 0;
        try
        {
            foreach (string file in Directory.EnumerateFiles(directory, "." + "*" + Suffix))
            {
                string name = System.IO.Path.GetFileName(file);
                string connection = System.IO.Path.Combine(directory, name[1..^Suffix.Length]);
                if (!File.Exists(connection))
                {
                    File.Delete(file);
                    removed++;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return removed;
    }
}
