using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NotebookGateway.Bridge.Gateway;

namespace NotebookGateway.Bridge.Specs;

/// <summary>What <c>kernelspecs install</c> was asked for.</summary>
public sealed record InstallRequest
{
    /// <summary>The kernelspecs directory to write into (<c>…/share/jupyter/kernels</c>).</summary>
    public required string KernelsDirectory { get; init; }

    /// <summary>The command that runs this program (the dotnet host and the bridge's dll, or its apphost).</summary>
    public required IReadOnlyList<string> BridgeCommand { get; init; }

    /// <summary>The absolute path of the owner-only token file the kernels read, or null (NBGW_TOKEN, or no token).</summary>
    public string? TokenFile { get; init; }

    /// <summary>Prepended to each gateway spec name, so the bridged specs sit beside local ones of the same name.</summary>
    public string NamePrefix { get; init; } = "sandboxed-";

    /// <summary>Appended to each display name (empty: the gateway's own name).</summary>
    public string DisplaySuffix { get; init; } = "";

    /// <summary>Only these gateway specs (empty: all the gateway offers this user).</summary>
    public IReadOnlyCollection<string> Specs { get; init; } = [];

    public int LeaseSeconds { get; init; } = 60;

    /// <summary>A workspace every kernel of these specs uses (null: derived per notebook at start).</summary>
    public string? Workspace { get; init; }
}

/// <summary>One kernelspec written.</summary>
public sealed record InstalledSpec(string Name, string Directory, string DisplayName, string Language, IReadOnlyList<string> Files);

/// <summary>
/// Writes one local kernelspec per gateway kernelspec: display name and language as the gateway gives them, its logos
/// copied, and an <c>argv</c> that starts this program's <c>kernel</c> command with the gateway URL, the spec name and
/// the token file's path (never the token).
/// </summary>
public sealed partial class KernelSpecInstaller(GatewayClient gateway)
{
    private const long MaxLogoBytes = 1 << 20;

    public async Task<IReadOnlyList<InstalledSpec>> InstallAsync(InstallRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RemoteKernelSpecs listing = await gateway.GetKernelSpecsAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyDictionary<string, RemoteKernelSpec> offered = listing.KernelSpecs ?? new Dictionary<string, RemoteKernelSpec>();
        foreach (string wanted in request.Specs)
        {
            if (!offered.ContainsKey(wanted))
            {
                throw new GatewayException(GatewayFailure.NotFound, null,
                    $"The gateway at {gateway.BaseUrl} offers no kernelspec '{wanted}' to this token (it offers: {string.Join(", ", offered.Keys.Order(StringComparer.Ordinal))}).");
            }
        }
        var installed = new List<InstalledSpec>();
        foreach ((string name, RemoteKernelSpec spec) in offered.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (request.Specs.Count > 0 && !request.Specs.Contains(name))
            {
                continue;
            }
            string localName = (request.NamePrefix + name).ToLowerInvariant();
            if (!SpecName().IsMatch(localName))
            {
                throw new ArgumentException($"'{localName}' is not a valid kernelspec name (letters, digits, '.', '_', '-').");
            }
            installed.Add(await WriteAsync(request, name, localName, spec, cancellationToken).ConfigureAwait(false));
        }
        return installed;
    }

    private async Task<InstalledSpec> WriteAsync(InstallRequest request, string remoteName, string localName, RemoteKernelSpec spec, CancellationToken cancellationToken)
    {
        string directory = Path.Combine(request.KernelsDirectory, localName);
        Directory.CreateDirectory(directory);
        string language = spec.Spec?.Language ?? "";
        string displayName = (spec.Spec?.DisplayName ?? remoteName) + request.DisplaySuffix;
        var argv = new JsonArray();
        foreach (string part in request.BridgeCommand)
        {
            argv.Add(part);
        }
        foreach (string part in new[]
        {
            "kernel", "--connection-file", "{connection_file}", "--url", gateway.BaseUrl.AbsoluteUri, "--spec", remoteName,
            "--language", language, "--lease-seconds", request.LeaseSeconds.ToString(CultureInfo.InvariantCulture),
        })
        {
            argv.Add(part);
        }
        if (request.TokenFile is not null)
        {
            argv.Add("--token-file");
            argv.Add(request.TokenFile);
        }
        if (request.Workspace is not null)
        {
            argv.Add("--workspace");
            argv.Add(request.Workspace);
        }
        var kernelJson = new JsonObject
        {
            ["argv"] = argv,
            ["display_name"] = displayName,
            ["language"] = language,
            // jupyter_client sends SIGINT to the bridge's process group; interrupt_request on control works as well.
            ["interrupt_mode"] = "signal",
            ["env"] = new JsonObject(),
            ["metadata"] = new JsonObject
            {
                ["notebookgateway_bridge"] = new JsonObject
                {
                    ["gateway"] = gateway.BaseUrl.AbsoluteUri,
                    ["spec"] = remoteName,
                },
                ["debugger"] = false,
            },
        };
        var files = new List<string> { "kernel.json" };
        await File.WriteAllTextAsync(Path.Combine(directory, "kernel.json"),
            kernelJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", cancellationToken).ConfigureAwait(false);
        foreach ((string key, string url) in spec.Resources ?? new Dictionary<string, string>())
        {
            string file = Uri.TryCreate(new Uri("http://x/"), url, out Uri? parsed) ? Uri.UnescapeDataString(parsed.Segments[^1]) : "";
            if (!key.StartsWith("logo-", StringComparison.Ordinal) || !LogoFile().IsMatch(file))
            {
                continue; // only logos, under names Jupyter looks for
            }
            byte[] bytes = await gateway.GetResourceAsync(url, cancellationToken).ConfigureAwait(false);
            if (bytes.Length > MaxLogoBytes)
            {
                continue;
            }
            await File.WriteAllBytesAsync(Path.Combine(directory, file), bytes, cancellationToken).ConfigureAwait(false);
            files.Add(file);
        }
        return new InstalledSpec(localName, directory, displayName, language, files);
    }

    [GeneratedRegex("^[a-z0-9._-]+$")]
    private static partial Regex SpecName();

    [GeneratedRegex(@"^logo-(32x32|64x64|128x128|svg)\.(png|svg)$")]
    private static partial Regex LogoFile();
}
