using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Zmq;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace NotebookGateway.Kernels.Tests.Support;

/// <summary>
/// The real engine and sandbox image, a per-run host root (<c>/tmp/nbgw-kt-&lt;run&gt;</c>) with socket, workspace and
/// kernelspec directories, one shared manager with two running kernels in two sessions, and a final sweep that
/// fails the run if any container, mount, socket directory, workspace or volume was left behind.
/// Never skips: a missing engine or image fails every test with what to run.
/// </summary>
public class SandboxEnvironment : IAsyncLifetime
{
    /// <summary>On the engine under test (<see cref="TestEngine"/>).</summary>
    public SandboxEnvironment()
        : this(TestEngine.IsPodman)
    {
    }

    /// <summary>On Podman or Docker whatever the run is against (a test of that engine itself).</summary>
    protected SandboxEnvironment(bool podman)
    {
        IsPodman = podman;
        EngineSocket = podman == TestEngine.IsPodman ? TestEngine.SocketPath : podman ? TestEngine.PodmanSocket : DockerClientOptions.DefaultSocketPath;
    }

    public bool IsPodman { get; }

    public string EngineSocket { get; }

    private string EngineName => IsPodman ? "Podman" : "Docker";

    public const string PythonImage = "notebookgateway/sandbox-python:latest";
    public const string TestLabel = "org.notebookgateway.test";
    public const string RunLabel = "org.notebookgateway.test.run";

    /// <summary>The test kernelspec most tests use: ipykernel with a small envelope.</summary>
    public const string Py = "py";

    /// <summary>The same kernel and envelope, with a pool of one on the shared manager: the shared kernel is a warm start.</summary>
    public const string PyPooled = "py-pooled";

    public const int PyMemoryMiB = 384;
    public const int PyTmpMiB = 32;
    public const int PyWorkspaceMiB = 32;
    public const int PyNofile = 512;
    public const int PyPids = 128;

    private static int s_managers;
    private readonly List<SandboxKernelManager> _managers = [];
    private DockerClient? _docker;

    public string RunId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public string Root => $"/tmp/nbgw-kt-{RunId}";

    public string SocketRoot => Path.Combine(Root, "sockets");

    public string WorkspaceRoot => Path.Combine(Root, "workspaces");

    public string StateRoot => Path.Combine(Root, "state");

    public string SpecRoot => Path.Combine(Root, "kernelspecs");

    public DockerClient Docker => _docker ?? throw new InvalidOperationException("The environment did not initialise.");

    public ZmqContext Zmq { get; } = new();

    internal CapturingLoggerProvider Logs { get; } = new();

    public IReadOnlyDictionary<string, string> TestLabels => new Dictionary<string, string> { [TestLabel] = "1", [RunLabel] = RunId };

    /// <summary>A manager shared by the tests that do not need one of their own.</summary>
    public SandboxKernelManager Shared { get; private set; } = null!;

    /// <summary>A kernel in session "a" that tests must leave usable; a warm start, so every containment test runs on a pooled sandbox.</summary>
    public SandboxKernel SharedKernel { get; private set; } = null!;

    /// <summary>A kernel in session "b": the "other kernels are unaffected" witness.</summary>
    public SandboxKernel OtherKernel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Interop.LibC.GetEUid() != 0)
        {
            throw new InvalidOperationException("These tests need root (tmpfs and loop mounts, chown to sandbox uids): run them as root.");
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            _docker = await DockerClient.ConnectAsync(new DockerClientOptions { SocketPath = EngineSocket }, null, cts.Token);
        }
        catch (DockerException ex)
        {
            throw new InvalidOperationException(
                $"No {EngineName} engine answers at {EngineSocket} ({ex.Message}). Set it up: " + (IsPodman ? "bash scripts/podman-images.sh" : "bash scripts/setup.sh"), ex);
        }

        if (await Docker.Images.TryInspectAsync(PythonImage) is null)
        {
            throw new InvalidOperationException($"The sandbox image {PythonImage} is missing from {EngineName}. Build it: "
                + (IsPodman ? "bash scripts/build-images.sh && bash scripts/podman-images.sh" : "bash scripts/build-images.sh"));
        }

        Directory.CreateDirectory(SocketRoot);
        Directory.CreateDirectory(WorkspaceRoot);
        Directory.CreateDirectory(SpecRoot);
        WriteSpec(Py, PythonArgv);
        WriteSpec("py-message", PythonArgv, interruptMode: "message");
        WriteSpec(PyPooled, PythonArgv);

        Shared = await CreateManagerAsync("shared", o => o.Pool.Specs[PyPooled] = new SpecPoolOptions { Size = 1 });
        await PoolEvents.WaitForAsync(Shared.Pool, PyPooled, s => s.Ready >= 1, TimeSpan.FromSeconds(90));
        SharedKernel = await Shared.StartKernelAsync(new KernelStartRequest { SpecName = PyPooled, SessionId = "session-a" });
        if (!SharedKernel.WarmStart)
        {
            throw new InvalidOperationException("The shared kernel was meant to come from the pool but started cold.");
        }

        OtherKernel = await Shared.StartKernelAsync(new KernelStartRequest { SpecName = Py, SessionId = "session-b" });
    }

    public static readonly string[] PythonArgv = ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"];

    /// <summary>Writes <c>{SpecRoot}/{name}/kernel.json</c> (sandbox image, small envelope unless overridden).</summary>
    public void WriteSpec(
        string name,
        IReadOnlyList<string> argv,
        string language = "python",
        string interruptMode = "signal",
        string? runtime = null,
        string image = PythonImage,
        Action<JsonObject>? envelope = null,
        string? networkPolicy = null)
    {
        var envelopeJson = new JsonObject
        {
            ["memory_mib"] = PyMemoryMiB,
            ["cpus"] = 1.0,
            ["pids"] = PyPids,
            ["nofile"] = PyNofile,
            ["tmp_mib"] = PyTmpMiB,
            ["shm_mib"] = 16,
            ["workspace_mib"] = PyWorkspaceMiB,
        };
        envelope?.Invoke(envelopeJson);
        var spec = new JsonObject
        {
            ["argv"] = new JsonArray(argv.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
            ["display_name"] = "Test " + name,
            ["language"] = language,
            ["interrupt_mode"] = interruptMode,
            ["metadata"] = new JsonObject
            {
                ["notebookgateway"] = new JsonObject
                {
                    ["image"] = image,
                    ["runtime"] = runtime,
                    ["network_policy"] = networkPolicy,
                    ["envelope"] = envelopeJson,
                },
            },
        };
        var dir = Path.Combine(SpecRoot, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "kernel.json"), spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public SandboxOptions CreateOptions(string ownerSuffix, Action<SandboxOptions>? configure = null)
    {
        var index = Interlocked.Increment(ref s_managers);
        var options = new SandboxOptions
        {
            Owner = $"kt-{RunId}-{ownerSuffix}",
            Engine = IsPodman ? EngineKind.Podman : EngineKind.Docker,
            EngineSocket = EngineSocket,
            KernelSpecDirectories = [SpecRoot, RepositoryPaths.KernelSpecs],
            SeccompProfile = RepositoryPaths.SeccompProfile,
            SocketRoot = SocketRoot,
            WorkspaceRoot = WorkspaceRoot,
            StateRoot = StateRoot,
            ExtraLabels = new Dictionary<string, string>(TestLabels),
            LaunchTimeoutSeconds = 60,
            ShutdownGraceSeconds = 3,
            HeartbeatTimeoutSeconds = 10,
            // Managers in one test process run side by side: disjoint uid ranges, as two gateways on one host need.
            UidRange = new UidRangeOptions { First = 300_000 + (index * 1000), Count = 1000 },
            // These tests start deliberately broken kernels (never binding, exiting, planting links) from specs of their
            // own; the build-time verification of the images is tested on its own (KernelSpecCatalogVerificationTests).
            RequireVerifiedImages = false,
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>An initialised manager, disposed (at the latest) with the environment.</summary>
    public async Task<SandboxKernelManager> CreateManagerAsync(string ownerSuffix, Action<SandboxOptions>? configure = null, EgressProxy? egress = null)
    {
        var options = MsOptions.Create(CreateOptions(ownerSuffix, configure));
        var catalog = new KernelSpecCatalog(Docker, options, Logs.CreateLogger<KernelSpecCatalog>());
        var manager = SandboxKernelManagerFactory.Create(Docker, Zmq, catalog, options, Logs, egress: egress);
        lock (_managers)
        {
            _managers.Add(manager);
        }

        await manager.InitializeAsync();
        return manager;
    }

    /// <summary>Containers of this test run carrying <paramref name="owner"/>'s label.</summary>
    public async Task<IReadOnlyList<ContainerSummary>> ContainersOfAsync(string owner) =>
        await Docker.Containers.ListAsync(new ContainerListParameters
        {
            All = true,
            Filters = new DockerFilters().Label(RunLabel, RunId).Label(SandboxLabels.Owner, owner),
        });

    /// <summary>
    /// What an owner left on the host: entries in its socket and workspace roots, and mounts below them; with
    /// <paramref name="templates"/> false the workspace templates (a cache the manager removes when it is disposed) are not counted.
    /// </summary>
    public IReadOnlyList<string> HostLeftoversOf(string owner, bool templates = true)
    {
        var left = new List<string>();
        foreach (var root in new[] { Path.Combine(SocketRoot, owner), Path.Combine(WorkspaceRoot, owner) })
        {
            if (Directory.Exists(root))
            {
                left.AddRange(Directory.EnumerateFileSystemEntries(root)
                    .Where(e => templates || !Path.GetFileName(e).StartsWith(NotebookGateway.Kernels.Workspaces.LoopImageWorkspaceBackend.TemplatePrefix, StringComparison.Ordinal)));
            }

            left.AddRange(HostMounts.MountPointsUnder(root).Select(m => "mount " + m));
        }

        return left;
    }

    /// <summary>Fails with what is left of <paramref name="owner"/>: containers, files, mounts.</summary>
    /// <remarks>Workspace templates may remain until the manager is disposed; <see cref="DisposeAsync"/> checks they went then.</remarks>
    public async Task AssertNothingLeftAsync(string owner)
    {
        var containers = await ContainersOfAsync(owner);
        Assert.True(containers.Count == 0, $"containers left: {string.Join(", ", containers.Select(c => c.Id[..12]))}");
        var host = HostLeftoversOf(owner, templates: false);
        Assert.True(host.Count == 0, $"host state left: {string.Join(", ", host)}");
    }

    public async Task DisposeAsync()
    {
        var problems = new List<string>();
        List<SandboxKernelManager> managers;
        lock (_managers)
        {
            managers = [.. _managers];
        }

        foreach (var manager in managers)
        {
            try
            {
                await manager.DisposeAsync();
            }
            catch (Exception ex)
            {
                problems.Add($"disposing manager {manager.Owner}: {ex.Message}");
            }
        }

        if (_docker?.ApiVersion is not null)
        {
            var containers = await Docker.Containers.ListAsync(new ContainerListParameters { All = true, Filters = DockerFilters.ByLabel(RunLabel, RunId) });
            foreach (var container in containers)
            {
                problems.Add("container " + container.Id[..12] + " " + string.Join(",", container.Names ?? []));
                await Docker.Containers.RemoveAsync(container.Id, force: true, removeVolumes: true);
            }

            foreach (var volume in await Docker.Volumes.ListAsync(DockerFilters.ByLabel(RunLabel, RunId)))
            {
                problems.Add("volume " + volume.Name);
                await Docker.Volumes.RemoveAsync(volume.Name, force: true);
            }
        }

        foreach (var mount in HostMounts.MountPointsUnder(Root))
        {
            problems.Add("mount " + mount);
            _ = HostMounts.TryUnmount(mount, detach: true);
        }

        foreach (var root in new[] { SocketRoot, WorkspaceRoot })
        {
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var ownerDir in Directory.EnumerateDirectories(root))
            {
                problems.AddRange(Directory.EnumerateFileSystemEntries(ownerDir).Select(e => "left on host: " + e));
            }
        }

        _ = NotebookGateway.Kernels.Security.NoFollow.DeleteTree(Root);
        await Zmq.DisposeAsync();
        _docker?.Dispose();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The sandbox tests left things behind: " + string.Join("; ", problems) + "\nLog tail:\n" + Logs.Dump());
        }
    }

    /// <summary>Runs code in a kernel and returns stdout; fails with the kernel's error output when the cell errs.</summary>
    public static async Task<string> RunAsync(SandboxKernel kernel, string code, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestTimeouts.Long);
        var outcome = await kernel.Client.ExecuteAsync(code, new ExecuteOptions { StoreHistory = false }, cts.Token);
        if (outcome.Status != "ok")
        {
            var error = outcome.OutputsOfType("error").Select(e => e.GetContentString("ename") + ": " + e.GetContentString("evalue"));
            throw new InvalidOperationException($"Cell failed ({outcome.Status}): {string.Join("; ", error)}\n{outcome.StreamText("stderr")}\nCode:\n{code}");
        }

        return outcome.StreamText().Trim();
    }

    /// <summary>Runs code whose last line prints a JSON value, and parses it.</summary>
    public static async Task<JsonElement> RunJsonAsync(SandboxKernel kernel, string code, TimeSpan? timeout = null)
    {
        var text = await RunAsync(kernel, code, timeout);
        var last = text.Split('\n').Last();
        try
        {
            return JsonDocument.Parse(last).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException("The cell did not print JSON last: " + text, ex);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxEnvironment>
{
    public const string Name = "Sandbox engine";
}
