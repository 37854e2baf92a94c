using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.ImageCheck;

/// <summary>
/// The build-time capability check of a sandbox image: every kernelspec that names the image is started through the
/// gateway's own sandbox manager (same container, envelope, seccomp profile, socket checks and self-test) with the
/// verification requirement off, must answer kernel_info with the spec's language, and is shut down. What each kernel
/// said becomes the image's <see cref="VerifiedKernel.LabelKey"/> label (scripts/build-images.sh applies it).
/// </summary>
public static class ImageChecker
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var (options, error) = ImageCheckOptions.Parse(args);
        if (options is null)
        {
            await Console.Error.WriteLineAsync($"{error}\n{ImageCheckOptions.Usage}");
            return 2;
        }

        var specs = await SpecsOfImageAsync(options);
        if (specs.Count == 0)
        {
            await Console.Error.WriteLineAsync($"image-check: no kernelspec names {options.Image}");
            Console.WriteLine(VerifiedKernel.ToLabel([]));
            return 0;
        }

        using var host = BuildHost(options);
        await host.StartAsync();
        var manager = host.Services.GetRequiredService<SandboxKernelManager>();
        var verified = new List<VerifiedKernel>();
        var failures = new List<string>();
        try
        {
            foreach (var spec in specs)
            {
                try
                {
                    verified.Add(await CheckAsync(manager, spec));
                    await Console.Error.WriteLineAsync($"image-check: {options.Image}: {spec.Name} ok ({verified[^1].Language} {verified[^1].LanguageVersion}, {verified[^1].Implementation} {verified[^1].ImplementationVersion})");
                }
                catch (Exception ex) when (ex is KernelLaunchException or KernelSpecNotFoundException or InvalidOperationException or TimeoutException or OperationCanceledException or SandboxSelfTestException)
                {
                    failures.Add($"{spec.Name}: {ex.Message}");
                }
            }
        }
        finally
        {
            await host.StopAsync();
        }

        if (failures.Count > 0)
        {
            await Console.Error.WriteLineAsync($"image-check: {options.Image} failed:\n  " + string.Join("\n  ", failures));
            return 1;
        }

        Console.WriteLine(VerifiedKernel.ToLabel(verified));
        return 0;
    }

    /// <summary>Starts the spec's kernel, reads its kernel_info_reply and checks the language; always shuts it down.</summary>
    private static async Task<VerifiedKernel> CheckAsync(SandboxKernelManager manager, KernelSpec spec)
    {
        var kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = spec.Name });
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var reply = await kernel.Client.KernelInfoAsync(timeout.Token);
            var content = JsonNode.Parse(reply.ContentJson.Span) as JsonObject
                ?? throw new InvalidOperationException("kernel_info_reply content is not an object");
            var languageInfo = content["language_info"] as JsonObject
                ?? throw new InvalidOperationException("kernel_info_reply has no language_info");
            var language = languageInfo["name"] is JsonValue name && name.TryGetValue(out string? text) ? text : "";
            if (!string.Equals(language, spec.Language, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"the kernel says its language is '{language}', the kernelspec says '{spec.Language}'");
            }

            string Text(string property) => content[property] is JsonValue v && v.TryGetValue(out string? s) ? s : "";
            return new VerifiedKernel
            {
                Spec = spec.Name,
                Argv = spec.Argv,
                Language = spec.Language,
                Transport = spec.Sandbox.Transport,
                LanguageInfo = (JsonObject)languageInfo.DeepClone(),
                Implementation = Text("implementation"),
                ImplementationVersion = Text("implementation_version"),
                ProtocolVersion = Text("protocol_version"),
            };
        }
        finally
        {
            await manager.ShutdownKernelAsync(kernel.Id);
        }
    }

    private static async Task<List<KernelSpec>> SpecsOfImageAsync(ImageCheckOptions options)
    {
        var specs = new List<KernelSpec>();
        var defaults = new EnvelopeOptions();
        foreach (var root in options.KernelSpecDirectories.Where(Directory.Exists))
        {
            foreach (var directory in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                if (!File.Exists(Path.Combine(directory, "kernel.json")))
                {
                    continue;
                }

                var spec = await KernelSpecParser.LoadAsync(directory, defaults);
                if (SameImage(spec.Sandbox.Image, options.Image) && !specs.Exists(s => s.Name == spec.Name))
                {
                    specs.Add(spec);
                }
            }
        }

        return specs;
    }

    private static bool SameImage(string a, string b) => string.Equals(WithTag(a), WithTag(b), StringComparison.Ordinal);

    private static string WithTag(string image) => image.Contains(':', StringComparison.Ordinal) ? image : image + ":latest";

    private static IHost BuildHost(ImageCheckOptions options)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>
        {
            ["Sandbox:Owner"] = options.Owner,
            ["Sandbox:SeccompProfile"] = options.SeccompProfile,
            ["Sandbox:SocketRoot"] = "/run/notebookgateway/imagecheck/sockets",
            ["Sandbox:WorkspaceRoot"] = "/run/notebookgateway/imagecheck/workspaces",
            ["Sandbox:WorkspaceBackend"] = nameof(WorkspaceBackendKind.Directory),
            ["Sandbox:RequireVerifiedImages"] = "false",
            ["Sandbox:LaunchTimeoutSeconds"] = options.LaunchTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sandbox:UidRange:First"] = options.UidFirst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sandbox:UidRange:Count"] = "100",
        };
        for (var i = 0; i < options.KernelSpecDirectories.Count; i++)
        {
            settings[$"Sandbox:KernelSpecDirectories:{i}"] = options.KernelSpecDirectories[i];
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).AddFilter(level => level >= LogLevel.Warning);
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSandboxKernels(builder.Configuration);
        return builder.Build();
    }
}
