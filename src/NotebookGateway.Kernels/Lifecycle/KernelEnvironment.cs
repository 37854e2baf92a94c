using System.Text;
using System.Text.RegularExpressions;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// The environment of a kernel container: the kernelspec's <c>env</c>, then the client's variables after
/// validation (names, sizes, count). Nothing of the gateway's own environment ever reaches a sandbox.
/// </summary>
public static partial class KernelEnvironment
{
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <exception cref="ArgumentException">A client variable breaks a rule; the message says which.</exception>
    public static IReadOnlyList<string> Build(IReadOnlyDictionary<string, string> specEnv, IReadOnlyDictionary<string, string>? clientEnv, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(specEnv);
        ArgumentNullException.ThrowIfNull(options);
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in specEnv)
        {
            merged[name] = value;
        }

        if (clientEnv is { Count: > 0 })
        {
            if (clientEnv.Count > options.MaxClientEnvironmentVariables)
            {
                throw new ArgumentException($"At most {options.MaxClientEnvironmentVariables} environment variables may be passed to a kernel ({clientEnv.Count} given).", nameof(clientEnv));
            }

            long bytes = 0;
            foreach (var (name, value) in clientEnv)
            {
                if (!IsValidName(name))
                {
                    throw new ArgumentException($"'{name}' is not a valid environment variable name.", nameof(clientEnv));
                }

                if (value is null || value.Contains('\0', StringComparison.Ordinal))
                {
                    throw new ArgumentException($"The value of environment variable {name} is missing or contains NUL.", nameof(clientEnv));
                }

                bytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value) + 2;
                merged[name] = value;
            }

            if (bytes > options.MaxClientEnvironmentBytes)
            {
                throw new ArgumentException($"The environment passed to a kernel may hold at most {options.MaxClientEnvironmentBytes} bytes ({bytes} given).", nameof(clientEnv));
            }
        }

        return merged.Select(kv => $"{kv.Key}={kv.Value}").ToArray();
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex NamePattern();
}
