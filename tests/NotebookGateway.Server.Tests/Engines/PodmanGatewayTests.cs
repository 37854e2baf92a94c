using System.Net;
using System.Text.Json;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;

namespace NotebookGateway.Server.Tests.Engines;

/// <summary>
/// The whole gateway on the second engine, rootful Podman (<c>Sandbox:Engine</c> = <c>Podman</c>): a notebook session's
/// kernel runs in a Podman container with the same hardening, seen from inside; it survives a SIGKILL of the gateway and
/// is taken back; a stop leaves nothing in Podman. scripts/test.sh starts the service and copies the image into it.
/// </summary>
public sealed class PodmanGatewayTests
{
    private static readonly Dictionary<string, string> OnPodman = new() { ["Sandbox:Engine"] = "Podman" };

    [Fact]
    public async Task Session_RunsHardenedOnPodman_IsTakenBackAfterAKill_AndLeavesNothing()
    {
        await using var podman = await ConnectPodmanAsync();
        GatewayProcess gateway = await GatewayProcess.StartAsync(OnPodman);
        try
        {
            RestResponse created = await GatewayRest.PostAsync(gateway, "api/sessions",
                """{"path": "work/podman.ipynb", "type": "notebook", "name": "podman.ipynb", "kernel": {"name": "python3"}}""", TestTimeouts.KernelStart);
            GatewayRest.ExpectStatus(created, HttpStatusCode.Created, gateway);
            string kernelId = created.Json!["kernel"]!["id"]!.GetValue<string>();

            // The kernel's container is Podman's, and Docker has none of this gateway's.
            var mine = new DockerFilters().Label("org.notebookgateway.owner", gateway.Owner);
            ContainerSummary container = Assert.Single(await podman.Containers.ListAsync(new ContainerListParameters { Filters = mine }));
            using (var docker = new DockerClient())
            {
                Assert.Empty(await docker.Containers.ListAsync(new ContainerListParameters { All = true, Filters = mine }));
            }

            string session = Guid.NewGuid().ToString();
            KernelSocket socket = await KernelSocket.ConnectAsync(gateway.ChannelsUri(kernelId, session, queryToken: null), session, gateway.Token);
            ExecuteResult inside = await socket.ExecuteAsync("""
                import json, os, socket
                status = dict(l.split(':\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\t' in l)
                try:
                    open('/probe', 'w'); rootfs = 'rw'
                except OSError:
                    rootfs = 'ro'
                s = socket.socket(); s.settimeout(5)
                try:
                    s.connect(('1.1.1.1', 53)); tcp = 0
                except OSError as e:
                    tcp = e.errno
                limit = int(open('/sys/fs/cgroup/memory/memory.limit_in_bytes').read())
                x = 42
                print(json.dumps({'seccomp': status['Seccomp'].strip(), 'nnp': status['NoNewPrivs'].strip(), 'capeff': status['CapEff'].strip(),
                    'uid': os.getuid(), 'ifaces': sorted(n for _, n in socket.if_nameindex()), 'tcp': tcp, 'rootfs': rootfs, 'memory': limit}))
                """, TestTimeouts.Step);
            Assert.Equal("ok", inside.Status);
            JsonElement r = JsonDocument.Parse(inside.Stdout.Trim()).RootElement;
            Assert.Equal("2", r.GetProperty("seccomp").GetString());
            Assert.Equal("1", r.GetProperty("nnp").GetString());
            Assert.Equal("0000000000000000", r.GetProperty("capeff").GetString());
            Assert.NotEqual(0, r.GetProperty("uid").GetInt32());
            Assert.Equal(["lo"], r.GetProperty("ifaces").EnumerateArray().Select(e => e.GetString()));
            Assert.NotEqual(0, r.GetProperty("tcp").GetInt32());
            Assert.Equal("ro", r.GetProperty("rootfs").GetString());
            Assert.Equal(512L << 20, r.GetProperty("memory").GetInt64()); // gateway.json's default envelope
            await socket.DisposeAsync();

            // SIGKILL: the next gateway takes the same Podman container back, with the kernel's variables.
            gateway = await gateway.RestartAsync(graceful: false);
            KernelSocket after = await KernelSocket.ConnectAsync(gateway.ChannelsUri(kernelId, session, queryToken: null), session, gateway.Token);
            ExecuteResult check = await after.ExecuteAsync("print(x)", TimeSpan.FromSeconds(60));
            Assert.Equal("42", check.Stdout.Trim());
            Assert.Equal(container.Id, Assert.Single(await podman.Containers.ListAsync(new ContainerListParameters { Filters = mine })).Id);
            await after.DisposeAsync();
        }
        finally
        {
            GatewayExit exit = await gateway.StopAsync();
            Assert.True(exit.LeftoverContainers.Count == 0, "containers left behind in Podman:\n" + gateway.Output);
        }

        Assert.Empty(await podman.Containers.ListAsync(new ContainerListParameters
        {
            All = true,
            Filters = new DockerFilters().Label("org.notebookgateway.owner", gateway.Owner),
        }));
    }

    private static async Task<DockerClient> ConnectPodmanAsync()
    {
        try
        {
            var client = await DockerClient.ConnectAsync(new DockerClientOptions { SocketPath = TestEngine.PodmanSocket });
            Assert.True(client.IsPodman, $"{TestEngine.PodmanSocket} answers, but not as Podman ({client.EngineVersion})");
            return client;
        }
        catch (DockerException ex)
        {
            throw new InvalidOperationException(
                $"Podman's service does not answer at {TestEngine.PodmanSocket} ({ex.Message}). Set it up: bash scripts/podman-images.sh", ex);
        }
    }
}
