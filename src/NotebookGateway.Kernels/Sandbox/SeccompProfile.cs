using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// The seccomp profile as the Engine API wants it: the JSON itself, inline in <c>SecurityOpt</c>
/// (<c>seccomp=&lt;json&gt;</c>; to dockerd a file path fails only when the container starts), or for Podman, whose
/// compatible service reads <c>seccomp=</c> as a path on its host, a root-only copy named by its digest
/// (<see cref="StoreIn"/>).
/// </summary>
public sealed class SeccompProfile
{
    private SeccompProfile(string json, string digest, IReadOnlyList<string> architectures)
    {
        Json = json;
        Digest = digest;
        Architectures = architectures;
    }

    /// <summary>Compact JSON.</summary>
    public string Json { get; }

    /// <summary>First 16 hex digits of the SHA-256 of <see cref="Json"/>, for logs.</summary>
    public string Digest { get; }

    public IReadOnlyList<string> Architectures { get; }

    /// <summary>The root-only copy the engine reads (<see cref="StoreIn"/>); null while the profile goes inline.</summary>
    public string? HostPath { get; private set; }

    public string SecurityOpt => "seccomp=" + (HostPath ?? Json);

    /// <summary>
    /// Writes the profile and its gVisor variant to <paramref name="directory"/> (a root-only directory) as
    /// <c>seccomp-&lt;digest&gt;.json</c>, atomically, and makes <see cref="SecurityOpt"/> name those files. The same
    /// content always gets the same name, so gateways sharing the directory never disturb each other.
    /// </summary>
    public void StoreIn(string directory)
    {
        foreach (var profile in new[] { this, ForGVisor() })
        {
            var path = Path.Combine(directory, $"seccomp-{profile.Digest}.json");
            var temporary = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temporary, profile.Json);
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: true);
            profile.HostPath = path;
        }
    }

    /// <summary>Whether any rule that lets a call through (allow, log, …) names <paramref name="syscall"/>, with or without argument conditions.</summary>
    public bool MayAllow(string syscall) => PassingRules(syscall).Any();

    /// <summary>Whether a rule lets every call of <paramref name="syscall"/> through, whatever its arguments.</summary>
    public bool AllowsUnconditionally(string syscall) => PassingRules(syscall).Any(r => r["args"] is not JsonArray { Count: > 0 });

    /// <summary>The first-argument values (<c>SCMP_CMP_EQ</c> on index 0) for which a rule lets <paramref name="syscall"/> through.</summary>
    public IReadOnlySet<long> AllowedFirstArguments(string syscall) =>
        PassingRules(syscall)
            .SelectMany(r => r["args"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(a => a["index"]?.GetValue<int>() == 0 && a["op"]?.GetValue<string>() == "SCMP_CMP_EQ")
            .Select(a => a["value"]!.GetValue<long>())
            .ToHashSet();

    private IEnumerable<JsonObject> PassingRules(string syscall) =>
        (_passingRules ??= ParsePassingRules()).Where(r => (r["names"] as JsonArray ?? []).Any(n => n?.GetValue<string>() == syscall));

    private List<JsonObject>? _passingRules;

    /// <summary>The rules whose action lets a call through (not errno, not kill), parsed once.</summary>
    private List<JsonObject> ParsePassingRules() =>
        [.. (JsonNode.Parse(Json)!["syscalls"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(r => r["action"]?.GetValue<string>() is { } action && !action.StartsWith("SCMP_ACT_ERRNO", StringComparison.Ordinal)
                && !action.StartsWith("SCMP_ACT_KILL", StringComparison.Ordinal))];

    /// <summary>
    /// The profile as gVisor must be given it. runsc (Debian's 2022 build, with <c>--oci-seccomp</c>) ignores a rule's
    /// <c>errnoRet</c> and answers the default errno instead: <c>clone3</c> would get EPERM rather than ENOSYS, and glibc
    /// then cannot start threads. Rules that only pick a different errno are therefore allowed under gVisor: the Sentry
    /// does not implement <c>clone3</c> and answers ENOSYS itself, and <c>sync</c> there syncs only the sandbox's own
    /// files. Every other rule, the default action and the architecture list stay as they are.
    /// </summary>
    public SeccompProfile ForGVisor() => _gvisor ??= CreateGVisorVariant();

    private SeccompProfile? _gvisor;

    private SeccompProfile CreateGVisorVariant()
    {
        var root = JsonNode.Parse(Json)!.AsObject();
        var defaultErrno = root["defaultErrnoRet"]?.GetValue<int>() ?? 1;
        foreach (var rule in root["syscalls"]!.AsArray().OfType<JsonObject>())
        {
            if (rule["action"]?.GetValue<string>() == "SCMP_ACT_ERRNO" && rule["errnoRet"] is { } errno && errno.GetValue<int>() != defaultErrno)
            {
                rule["action"] = "SCMP_ACT_ALLOW";
                rule.Remove("errnoRet");
            }
        }

        return Parse(Encoding.UTF8.GetBytes(root.ToJsonString()), "gVisor variant");
    }

    /// <exception cref="InvalidDataException">Not a profile: no defaultAction, an allow-all default, or no syscalls.</exception>
    public static async Task<SeccompProfile> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return Parse(bytes, path);
    }

    public static SeccompProfile Parse(ReadOnlySpan<byte> bytes, string source = "profile")
    {
        using var document = JsonDocument.Parse(bytes.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("defaultAction", out var action) || action.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"{source} is not a seccomp profile (no defaultAction).");
        }

        if (action.GetString() is "SCMP_ACT_ALLOW" or "SCMP_ACT_LOG")
        {
            throw new InvalidDataException($"{source}: a sandbox profile must deny by default (defaultAction is {action.GetString()}).");
        }

        if (!root.TryGetProperty("syscalls", out var syscalls) || syscalls.ValueKind != JsonValueKind.Array || syscalls.GetArrayLength() == 0)
        {
            throw new InvalidDataException($"{source} has no syscall rules.");
        }

        var architectures = root.TryGetProperty("architectures", out var arches) && arches.ValueKind == JsonValueKind.Array
            ? arches.EnumerateArray().Select(a => a.GetString() ?? "").ToList()
            : [];
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            root.WriteTo(writer);
        }

        var json = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
        return new SeccompProfile(json, digest, architectures);
    }
}
