namespace NotebookGateway.Bridge.Gateway;

/// <summary>
/// Where the gateway token comes from: a file only its owner can read (named in the kernelspec's argv, so the token
/// itself is never in a command line, a kernel.json or a process list), or the <c>NBGW_TOKEN</c> environment variable
/// of the tool that starts the kernel.
/// </summary>
public static class TokenFile
{
    public const string Variable = "NBGW_TOKEN";
    private const int MaxBytes = 4096;

    /// <summary>The token, or null with the reason a user can act on.</summary>
    public static (string? Token, string? Problem) Read(string? path, string? environmentToken)
    {
        if (path is null)
        {
            return string.IsNullOrWhiteSpace(environmentToken) ? (null, null) : (environmentToken.Trim(), null);
        }
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                return (null, $"The token file {path} does not exist: write the gateway's token into it (chmod 600), or reinstall the kernelspecs.");
            }
            UnixFileMode mode = File.GetUnixFileMode(path);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & others) != 0)
            {
                return (null, $"The token file {path} can be read by other users (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
            }
            if (file.Length > MaxBytes)
            {
                return (null, $"The token file {path} is larger than {MaxBytes} bytes; it should hold only the token.");
            }
            string token = File.ReadAllText(path).Trim();
            return token.Length == 0 || token.Any(char.IsWhiteSpace) || token.Any(char.IsControl)
                ? (null, $"The token file {path} does not hold a token (one line, no spaces).")
                : (token, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"The token file {path} cannot be read: {ex.Message}");
        }
    }

    /// <summary>Writes a token into a new owner-only file (its directory owner-only too), replacing an older one.</summary>
    public static void Write(string path, string token)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string temporary = path + "." + Environment.ProcessId + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(token);
            writer.Write('\n');
        }
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }
}
