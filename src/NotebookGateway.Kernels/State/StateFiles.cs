using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using NotebookGateway.Kernels.Interop;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.State;

/// <summary>
/// Small sealed files in one root-only directory: each is written atomically (a new 0600 file, fsync, rename, fsync of
/// the directory) and carries a header with the format version and an HMAC-SHA256 of its category, name and body under
/// a key kept beside them (<c>seal.key</c>, 0600). A file that was edited, truncated, renamed, replaced by a link or
/// left by someone else does not read back: <see cref="ReadAll"/> reports it as tampered instead.
/// </summary>
public sealed class StateFiles
{
    public const int Version = 1;

    /// <summary>Larger files are refused unread: no record of ours comes near it.</summary>
    public const int MaxFileBytes = 256 * 1024;

    private const string KeyFileName = "seal.key";
    private const uint FileMode = 0b110_000_000;
    private const uint DirectoryMode = 0b111_000_000;
    private static readonly byte[] HeaderPrefix = "nbgw-state v"u8.ToArray();

    private readonly byte[] _key;

    /// <param name="directory">A root-only directory of the gateway (created by the caller).</param>
    public StateFiles(string directory)
    {
        Directory = directory;
        _key = LoadOrCreateKey(Path.Combine(directory, KeyFileName));
    }

    public string Directory { get; }

    /// <summary>Writes <paramref name="body"/> as <c>{category}/{name}</c>, replacing any earlier version atomically.</summary>
    /// <exception cref="IOException">The disk is full or the directory unusable; the earlier version is left as it was.</exception>
    public void Write(string category, string name, ReadOnlySpan<byte> body)
    {
        var folder = CategoryPath(category);
        var path = Path.Combine(folder, CheckName(name));
        var temporary = path + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var header = Encoding.ASCII.GetBytes($"nbgw-state v{Version} {Convert.ToHexStringLower(Seal(category, name, body))}\n");
        var content = new byte[header.Length + body.Length];
        header.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(header.Length));
        try
        {
            NoFollow.WriteNewFile(temporary, content, FileMode, LibC.GetEUid(), LibC.GetEUid(), sync: true);
            File.Move(temporary, path, overwrite: true); // rename(2): replaces the name itself, never follows it
        }
        catch
        {
            _ = NoFollow.Unlink(temporary);
            throw;
        }

        SyncDirectory(folder);
    }

    /// <summary>Removes <c>{category}/{name}</c>; absent is fine.</summary>
    public void Delete(string category, string name)
    {
        var folder = CategoryPath(category);
        if (!NoFollow.Unlink(Path.Combine(folder, CheckName(name))))
        {
            throw new IOException($"Could not remove state file {category}/{name}.");
        }

        SyncDirectory(folder);
    }

    /// <summary>Every file of a category: its body when its seal checks out, otherwise why not (never both).</summary>
    public IReadOnlyList<StateFile> ReadAll(string category)
    {
        var folder = CategoryPath(category);
        using var directory = NoFollow.OpenDirectory(folder);
        var files = new List<StateFile>();
        foreach (var name in NoFollow.ReadNames(directory).Order(StringComparer.Ordinal))
        {
            if (name.Contains(".tmp-", StringComparison.Ordinal))
            {
                _ = LibC.UnlinkAt(directory.Value, name, 0); // an interrupted write: the earlier version (if any) still stands
                continue;
            }

            files.Add(Read(directory, category, name));
        }

        return files;
    }

    private StateFile Read(FileDescriptor directory, string category, string name)
    {
        int fd = LibC.OpenAt(directory.Value, name, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NONBLOCK | LibC.O_NOCTTY, 0);
        if (fd < 0)
        {
            return StateFile.Tampered(name, $"cannot be opened without following it ({LibC.Describe(Marshal.GetLastPInvokeError())})");
        }

        using var descriptor = new FileDescriptor(fd);
        using var handle = new SafeFileHandle(descriptor.DangerousGetHandle(), ownsHandle: false); // for RandomAccess; the descriptor owns it
        var status = NoFollow.Stat(descriptor);
        if (!status.IsRegularFile || status.Uid != LibC.GetEUid() || (status.Permissions & 0b000_111_111) != 0)
        {
            return StateFile.Tampered(name, $"is a {status.TypeName} owned by uid {status.Uid} with mode {Convert.ToString(status.Permissions, 8)}, not the gateway's 0600 file");
        }

        if (status.Size > MaxFileBytes)
        {
            return StateFile.Tampered(name, $"is {status.Size} bytes, over the {MaxFileBytes}-byte limit");
        }

        var content = new byte[status.Size];
        var read = RandomAccess.Read(handle, content, 0);
        var newline = Array.IndexOf(content, (byte)'\n', 0, read);
        if (read != content.Length || newline < 0 || !content.AsSpan(0, newline).StartsWith(HeaderPrefix))
        {
            return StateFile.Tampered(name, "has no state header (truncated or not written by the gateway)");
        }

        var header = Encoding.ASCII.GetString(content, HeaderPrefix.Length, newline - HeaderPrefix.Length).Split(' ');
        if (header.Length != 2 || header[0] != Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return StateFile.Tampered(name, $"has format '{string.Join(' ', header.Take(1))}', not version {Version}");
        }

        var body = content.AsMemory(newline + 1);
        byte[] claimed;
        try
        {
            claimed = Convert.FromHexString(header[1]);
        }
        catch (FormatException)
        {
            return StateFile.Tampered(name, "has a malformed seal");
        }

        return CryptographicOperations.FixedTimeEquals(claimed, Seal(category, name, body.Span))
            ? new StateFile(name, body, null)
            : StateFile.Tampered(name, "does not match its seal (edited, truncated or moved)");
    }

    private byte[] Seal(string category, string name, ReadOnlySpan<byte> body)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        mac.AppendData(Encoding.UTF8.GetBytes($"{category}/{name}\n"));
        mac.AppendData(body);
        return mac.GetHashAndReset();
    }

    private string CategoryPath(string category)
    {
        var path = Path.Combine(Directory, CheckName(category));
        if (NoFollow.TryStat(path) is null)
        {
            NoFollow.CreateDirectory(path, DirectoryMode, LibC.GetEUid(), LibC.GetEUid());
        }

        return path;
    }

    /// <summary>Names are the gateway's own ids (hex keys, validated kernel ids), never paths.</summary>
    private static string CheckName(string name)
    {
        if (name.Length is 0 or > 128 || name.StartsWith('.') || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw new ArgumentException($"'{name}' is not a state file name.", nameof(name));
        }

        return name;
    }

    private static void SyncDirectory(string path)
    {
        using var directory = NoFollow.OpenDirectory(path);
        _ = LibC.FSync(directory.Value);
    }

    private static byte[] LoadOrCreateKey(string path)
    {
        if (NoFollow.TryStat(path) is null)
        {
            NoFollow.WriteNewFile(path, RandomNumberGenerator.GetBytes(32), FileMode, LibC.GetEUid(), LibC.GetEUid(), sync: true);
        }

        var status = NoFollow.TryStat(path);
        if (status is not { IsRegularFile: true, Size: 32 } key || key.Uid != LibC.GetEUid() || (key.Permissions & 0b000_111_111) != 0)
        {
            throw new InvalidOperationException($"{path} must be the gateway's own 32-byte 0600 file (is {status?.TypeName ?? "missing"}).");
        }

        return File.ReadAllBytes(path);
    }
}

/// <summary>One state file as read back: <see cref="Body"/> when sealed by this gateway, else <see cref="Problem"/>.</summary>
public sealed record StateFile(string Name, ReadOnlyMemory<byte> Body, string? Problem)
{
    public static StateFile Tampered(string name, string problem) => new(name, ReadOnlyMemory<byte>.Empty, problem);
}
