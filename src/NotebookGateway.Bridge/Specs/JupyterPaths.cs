namespace NotebookGateway.Bridge.Specs;

/// <summary>The standard Jupyter data directories (jupyter_core's <c>jupyter_data_dir</c>), where kernelspecs live.</summary>
public static class JupyterPaths
{
    /// <summary><c>$JUPYTER_DATA_DIR</c>, else <c>$XDG_DATA_HOME/jupyter</c>, else <c>~/.local/share/jupyter</c>.</summary>
    public static string UserDataDirectory(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("JUPYTER_DATA_DIR") is { Length: > 0 } explicitDirectory)
        {
            return Path.GetFullPath(explicitDirectory);
        }
        string dataHome = environment("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(environment("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.GetFullPath(Path.Combine(dataHome, "jupyter"));
    }

    /// <summary>The kernelspec directory of a prefix (<c>--prefix</c>, as <c>jupyter kernelspec install --prefix</c>).</summary>
    public static string PrefixKernelsDirectory(string prefix) => Path.GetFullPath(Path.Combine(prefix, "share", "jupyter", "kernels"));
}
