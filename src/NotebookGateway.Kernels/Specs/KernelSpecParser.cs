using System.Text.Json;
using System.Text.RegularExpressions;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Specs;

/// <summary>
/// Parses <c>kernel.json</c>. Standard fields: <c>argv</c>, <c>display_name</c>, <c>language</c>,
/// <c>interrupt_mode</c>, <c>env</c>, <c>metadata</c>. Ours: <c>metadata.notebookgateway</c> =
/// <c>{ "image": …, "runtime": null|"runsc", "transport": "ipc"|"tcp-loopback", "network_policy": "none"|name, "envelope": { memory_mib, cpus, … } }</c>;
/// a spec without it is refused (a kernel never runs on the host). Every problem is collected before failing.
/// </summary>
public static partial class KernelSpecParser
{
    public const string ConnectionFilePlaceholder = "{connection_file}";

    public const string MetadataKey = "notebookgateway";

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <exception cref="KernelSpecException">The file is not a usable sandboxed kernelspec.</exception>
    public static KernelSpec Parse(string name, string resourceDirectory, ReadOnlySpan<byte> json, EnvelopeOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var errors = new List<string>();
        if (!IsValidName(name))
        {
            errors.Add($"the name must be letters, digits, '.', '_' or '-' (is '{name}').");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new KernelSpecException(name, [$"kernel.json is not valid JSON: {ex.Message}"]);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new KernelSpecException(name, ["kernel.json must be a JSON object."]);
            }

            var argv = ReadArgv(root, errors);
            var displayName = ReadString(root, "display_name", errors, required: true) ?? name;
            var language = ReadString(root, "language", errors, required: true) ?? "";
            var interruptMode = ReadInterruptMode(root, errors);
            var env = ReadEnv(root, errors);
            JsonElement? metadata = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m.Clone() : null;
            var sandbox = ReadSandbox(metadata, defaults, errors);

            if (errors.Count > 0 || sandbox is null)
            {
                throw new KernelSpecException(name, errors);
            }

            return new KernelSpec
            {
                Name = name,
                ResourceDirectory = resourceDirectory,
                Argv = argv,
                DisplayName = displayName,
                Language = language,
                InterruptMode = interruptMode,
                Env = env,
                Metadata = metadata,
                Resources = ListResources(resourceDirectory),
                Sandbox = sandbox,
            };
        }
    }

    /// <summary>Reads <c>&lt;directory&gt;/kernel.json</c>.</summary>
    public static async Task<KernelSpec> LoadAsync(string directory, EnvelopeOptions defaults, CancellationToken cancellationToken = default)
    {
        var name = Path.GetFileName(directory.TrimEnd('/'));
        var file = Path.Combine(directory, "kernel.json");
        var info = new FileInfo(file);
        if (!info.Exists)
        {
            throw new KernelSpecException(name, ["kernel.json is missing."]);
        }

        if (info.Length > 1024 * 1024)
        {
            throw new KernelSpecException(name, ["kernel.json is larger than 1 MiB."]);
        }

        var bytes = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        return Parse(name, Path.GetFullPath(directory), bytes, defaults);
    }

    private static List<string> ReadArgv(JsonElement root, List<string> errors)
    {
        var argv = new List<string>();
        if (!root.TryGetProperty("argv", out var element) || element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            errors.Add("argv must be a non-empty array of strings.");
            return argv;
        }

        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                errors.Add("argv must contain only strings.");
                return argv;
            }

            var value = item.GetString()!;
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add("argv must not contain NUL characters.");
            }

            // {resource_dir} and friends name host paths: meaningless (and leaky) inside a sandbox.
            var unknown = PlaceholderPattern().Matches(value).Select(x => x.Value).Where(p => p != ConnectionFilePlaceholder).ToList();
            if (unknown.Count > 0)
            {
                errors.Add($"argv may only use the {ConnectionFilePlaceholder} placeholder (found {string.Join(", ", unknown)}).");
            }

            argv.Add(value);
        }

        return argv;
    }

    private static string? ReadString(JsonElement obj, string property, List<string> errors, bool required, string where = "")
    {
        if (!obj.TryGetProperty(property, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors.Add($"{where}{property} is required.");
            }

            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            errors.Add($"{where}{property} must be a string.");
            return null;
        }

        return element.GetString();
    }

    private static InterruptMode ReadInterruptMode(JsonElement root, List<string> errors)
    {
        var mode = ReadString(root, "interrupt_mode", errors, required: false);
        switch (mode)
        {
            case null or "signal":
                return InterruptMode.Signal;
            case "message":
                return InterruptMode.Message;
            default:
                errors.Add($"interrupt_mode must be \"signal\" or \"message\" (is \"{mode}\").");
                return InterruptMode.Signal;
        }
    }

    private static Dictionary<string, string> ReadEnv(JsonElement root, List<string> errors)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("env", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return env;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add("env must be an object of strings.");
            return env;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                errors.Add($"env.{property.Name} must be a string.");
                continue;
            }

            if (!Lifecycle.KernelEnvironment.IsValidName(property.Name))
            {
                errors.Add($"env name '{property.Name}' is not a valid variable name.");
                continue;
            }

            env[property.Name] = property.Value.GetString()!;
        }

        return env;
    }

    private static SandboxSpec? ReadSandbox(JsonElement? metadata, EnvelopeOptions defaults, List<string> errors)
    {
        const string W = "metadata.notebookgateway.";
        if (metadata is not { } meta || !meta.TryGetProperty(MetadataKey, out var ours) || ours.ValueKind != JsonValueKind.Object)
        {
            errors.Add("metadata.notebookgateway is missing: only sandboxed kernelspecs are served.");
            return null;
        }

        foreach (var property in ours.EnumerateObject())
        {
            if (property.Name is not ("image" or "runtime" or "envelope" or "entrypoint" or "transport" or "heartbeat_timeout_seconds" or "network_policy"))
            {
                errors.Add($"{W}{property.Name} is not a known setting (image, runtime, transport, heartbeat_timeout_seconds, entrypoint, network_policy, envelope).");
            }
        }

        var image = ReadString(ours, "image", errors, required: true, W);
        if (image is not null && !ImagePattern().IsMatch(image))
        {
            errors.Add($"{W}image '{image}' is not an image reference.");
        }

        var runtime = ReadString(ours, "runtime", errors, required: false, W);
        if (runtime is not null && !RuntimePattern().IsMatch(runtime))
        {
            errors.Add($"{W}runtime '{runtime}' is not a runtime name.");
        }

        var transportName = ReadString(ours, "transport", errors, required: false, W);
        var transport = ParseTransport(transportName);
        if (transport is null)
        {
            errors.Add($"{W}transport must be \"ipc\" or \"tcp-loopback\" (is \"{transportName}\").");
        }

        int? heartbeatTimeout = null;
        if (ours.TryGetProperty("heartbeat_timeout_seconds", out var hb) && hb.ValueKind != JsonValueKind.Null)
        {
            if (hb.ValueKind == JsonValueKind.Number && hb.TryGetInt32(out var seconds) && seconds is >= 0 and <= 3600)
            {
                heartbeatTimeout = seconds;
            }
            else
            {
                errors.Add($"{W}heartbeat_timeout_seconds must be an integer from 0 (off) to 3600.");
            }
        }

        List<string>? entrypoint = null;
        if (ours.TryGetProperty("entrypoint", out var ep) && ep.ValueKind != JsonValueKind.Null)
        {
            if (ep.ValueKind != JsonValueKind.Array || ep.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                errors.Add($"{W}entrypoint must be an array of strings (or null for the image's).");
            }
            else
            {
                entrypoint = ep.EnumerateArray().Select(e => e.GetString()!).ToList();
            }
        }

        var networkPolicy = ReadString(ours, "network_policy", errors, required: false, W);
        if (networkPolicy is not null && !NetworkPolicyPattern().IsMatch(networkPolicy))
        {
            errors.Add($"{W}network_policy '{networkPolicy}' is not a policy name (\"none\" or a name defined in Egress:Policies).");
        }

        var envelope = defaults.ToEnvelope();
        if (ours.TryGetProperty("envelope", out var overrides) && overrides.ValueKind != JsonValueKind.Null)
        {
            if (overrides.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{W}envelope must be an object.");
            }
            else
            {
                envelope = EnvelopeOverrides.Apply(envelope, overrides, errors);
            }
        }

        errors.AddRange(envelope.Validate("envelope"));
        return image is null ? null : new SandboxSpec
        {
            Image = image,
            Runtime = runtime == "runc" ? null : runtime,
            Transport = transport ?? KernelTransport.Ipc,
            HeartbeatTimeoutSeconds = heartbeatTimeout,
            Entrypoint = entrypoint,
            NetworkPolicy = networkPolicy ?? "none",
            Envelope = envelope,
        };
    }

    /// <summary><c>"ipc"</c> (also when absent) or <c>"tcp-loopback"</c>; null for anything else.</summary>
    public static KernelTransport? ParseTransport(string? name) => name switch
    {
        null or "ipc" => KernelTransport.Ipc,
        "tcp-loopback" => KernelTransport.TcpLoopback,
        _ => null,
    };

    public static string TransportName(KernelTransport transport) => transport == KernelTransport.TcpLoopback ? "tcp-loopback" : "ipc";

    private static Dictionary<string, string> ListResources(string directory)
    {
        var resources = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(directory))
        {
            return resources;
        }

        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            if (name != "kernel.json" && (File.GetAttributes(file) & FileAttributes.ReparsePoint) == 0)
            {
                resources[name] = file;
            }
        }

        return resources;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NetworkPolicyPattern();

    [GeneratedRegex(@"\{[A-Za-z_]+\}")]
    private static partial Regex PlaceholderPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$")]
    private static partial Regex ImagePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex RuntimePattern();
}
