using System.Diagnostics;

namespace NotebookGateway.Testing;

/// <summary>How the tests start a helper program (a Jupyter tool, node, the bridge): no shell, every stream redirected.</summary>
public static class ProcessStarts
{
    /// <summary>
    /// A start of <paramref name="file"/> with each argument passed as is, stdin/stdout/stderr redirected and
    /// <paramref name="environment"/> added to the inherited variables.
    /// </summary>
    public static ProcessStartInfo Redirected(string file, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        return start;
    }
}
