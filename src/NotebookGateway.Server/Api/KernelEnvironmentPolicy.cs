using System.Text.Json;
using System.Text.RegularExpressions;

namespace NotebookGateway.Server.Api;

/// <summary>
/// Which client environment variables reach a kernel: only <c>KERNEL_*</c> and configured names, with values
/// checked for length and shell/control characters. The gateway's own environment never does.
/// </summary>
public static partial class KernelEnvironmentPolicy
{
    public const int MaxValueLength = 4096;
    public const string WorkspaceVariable = "KERNEL_WORKSPACE";

    /// <summary>Validates <c>env</c>; returns the allowed variables, or a 400 naming the offending key (never its value).</summary>
    public static (Dictionary<string, string> Allowed, IResult? Error) Filter(JsonElement body, IReadOnlyCollection<string> allowList)
    {
        var allowed = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!body.TryGetProperty("env", out JsonElement env) || env.ValueKind == JsonValueKind.Null)
        {
            return (allowed, null);
        }
        if (env.ValueKind != JsonValueKind.Object)
        {
            return (allowed, RequestBodies.BadRequest("'env' must be a JSON object of strings."));
        }
        foreach (JsonProperty variable in env.EnumerateObject())
        {
            bool permitted = variable.Name.StartsWith("KERNEL_", StringComparison.Ordinal) || allowList.Contains(variable.Name);
            if (!permitted)
            {
                continue; // dropped, as Kernel Gateway does
            }
            if (!NamePattern().IsMatch(variable.Name))
            {
                return (allowed, RequestBodies.BadRequest($"Environment variable name '{Sanitize(variable.Name)}' is not valid."));
            }
            if (variable.Value.ValueKind != JsonValueKind.String)
            {
                return (allowed, RequestBodies.BadRequest($"Environment variable '{variable.Name}' must be a string."));
            }
            string value = variable.Value.GetString()!;
            if (value.Length > MaxValueLength)
            {
                return (allowed, RequestBodies.BadRequest($"Environment variable '{variable.Name}' is longer than {MaxValueLength} characters."));
            }
            if (value.AsSpan().IndexOfAny("$`\r\n\0") >= 0 || value.Any(char.IsControl))
            {
                return (allowed, RequestBodies.BadRequest($"Environment variable '{variable.Name}' contains a forbidden character ($, backtick or a control character)."));
            }
            allowed[variable.Name] = value;
        }
        return (allowed, null);
    }

    public static bool IsValidWorkspaceName(string name) => WorkspacePattern().IsMatch(name);

    private static string Sanitize(string name) => name.Length > 64 ? name[..64] + "…" : new string(name.Where(c => !char.IsControl(c)).ToArray());

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex WorkspacePattern();
}
