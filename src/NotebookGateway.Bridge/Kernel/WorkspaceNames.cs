using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>
/// The gateway workspace (<c>KERNEL_WORKSPACE</c>) a bridged kernel runs in, so its files outlive the kernel: the one
/// named on the command line; else <c>KERNEL_WORKSPACE</c> from the tool's environment; else the notebook's path when
/// the tool says it (<c>JPY_SESSION_NAME</c>, set by jupyter_server 1.23+ and so JupyterLab); else the directory the
/// tool started the kernel in (Notebook 6.4, nbclient and nbconvert start a notebook's kernel in its directory), as a
/// local kernel would see that directory's files.
/// </summary>
public static partial class WorkspaceNames
{
    public const string WorkspaceVariable = "KERNEL_WORKSPACE";
    public const string SessionNameVariable = "JPY_SESSION_NAME";
    private const int MaxLength = 64;

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    /// <summary>The workspace name and where it came from (for the log).</summary>
    public static (string Name, string Source) Resolve(string? explicitName, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrEmpty(explicitName))
        {
            return (explicitName, "--workspace");
        }
        if (environment.TryGetValue(WorkspaceVariable, out string? named) && IsValid(named))
        {
            return (named, WorkspaceVariable);
        }
        if (environment.TryGetValue(SessionNameVariable, out string? notebook) && !string.IsNullOrWhiteSpace(notebook))
        {
            // The path is the server's (relative to its root): with the directory it is unique on this machine.
            string notebookDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workingDirectory));
            return (FromPath("nb", Path.GetFileNameWithoutExtension(notebook), notebookDirectory + "\0" + notebook), SessionNameVariable);
        }
        string directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workingDirectory));
        return (FromPath("dir", Path.GetFileName(directory), directory), "working directory");
    }

    /// <summary><c>{kind}-{readable part}-{hash of the key}</c>, at most 64 characters of the gateway's workspace alphabet.</summary>
    public static string FromPath(string kind, string readable, string key)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
        string slug = Unsafe().Replace(readable, "-").Trim('-', '.', '_');
        int room = MaxLength - kind.Length - hash.Length - 2;
        if (slug.Length > room)
        {
            slug = slug[..room].TrimEnd('-', '.', '_');
        }
        return slug.Length == 0 ? $"{kind}-{hash}" : $"{kind}-{slug}-{hash}";
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex Pattern();

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex Unsafe();
}
