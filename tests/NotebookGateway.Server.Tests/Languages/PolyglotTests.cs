using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using NotebookGateway.Docker;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Languages;

/// <summary>
/// Issue 10, across languages: one notebook session keeps one workspace while its kernel changes language; a tcp-only
/// kernel is reached only through the socket directory; compiled cells give clear errors; ipywidgets' comm messages
/// work through the gateway.
/// </summary>
[Collection(LanguagesGatewayCollection.Name)]
public sealed class PolyglotTests(LanguagesGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Session_SwitchingPythonToRToBash_SeesTheSameWorkspaceFiles()
    {
        RestResponse created = await GatewayRest.PostAsync(Gateway, "api/sessions",
            """{"path":"polyglot.ipynb","type":"notebook","kernel":{"name":"python3"}}""", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string sessionId = created.Json!["id"]!.GetValue<string>();
        try
        {
            ExecuteResult python = await RunInSessionAsync(sessionId,
                """open("data.csv", "w").write("x,y\n1,2\n3,4\n"); print("written by python")""");
            Assert.Contains("written by python", python.Stdout, StringComparison.Ordinal);

            await SwitchKernelAsync(sessionId, "ir");
            ExecuteResult r = await RunInSessionAsync(sessionId, """d <- read.csv("data.csv"); cat("sum", sum(d$y), "\n"); write("from R", "r.txt")""");
            Assert.True(r.Status == "ok", r.ToString());
            Assert.Contains("sum 6", r.Stdout, StringComparison.Ordinal);

            await SwitchKernelAsync(sessionId, "bash");
            ExecuteResult bash = await RunInSessionAsync(sessionId, "cat data.csv r.txt; pwd");
            Assert.True(bash.Status == "ok", bash.ToString());
            Assert.Contains("3,4", bash.Stdout, StringComparison.Ordinal);
            Assert.Contains("from R", bash.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await GatewayRest.DeleteAsync(Gateway, $"api/sessions/{sessionId}");
        }
    }

    [Fact]
    public async Task TcpOnlyKernel_IsReachedOnlyThroughTheSocketDirectory()
    {
        string kernelId = await fixture.KernelAsync("javascript");
        KernelSocket socket = await ConnectAsync(kernelId);

        // Inside: the kernel listens on the relay's loopback ports, and the container has no interface but lo.
        ExecuteResult inside = await socket.ExecuteAsync(
            """console.log(require("fs").readFileSync("/proc/net/tcp", "ascii")); console.log("net=" + require("fs").readdirSync("/sys/class/net").join(","))""",
            TestTimeouts.Step);
        Assert.Contains("net=lo\n", inside.Stdout, StringComparison.Ordinal);
        var listening = TcpListeners(inside.Stdout);
        Assert.Contains("127.0.0.1:50001", listening);
        Assert.All(listening, endpoint => Assert.StartsWith("127.0.0.1:", endpoint, StringComparison.Ordinal));

        // Outside: the container has no network and no published port, and nothing on the host listens on those ports.
        using var docker = new DockerClient();
        string containerId = (await docker.Containers.ListAsync(new Docker.Containers.ContainerListParameters
        {
            Filters = new Docker.Models.DockerFilters().Label("org.notebookgateway.kernel", kernelId),
        })).Single().Id;
        var inspect = await docker.Containers.InspectAsync(containerId);
        Assert.Equal("none", inspect.HostConfig?.NetworkMode);
        ProcessRun hostListeners = await ExternalProcess.RunAsync("ss", ["-Hltn", "sport >= :50001 and sport <= :50005"], RepositoryPaths.Root,
            null, TestTimeouts.Reply, "apt-get install iproute2");
        Assert.Equal(0, hostListeners.ExitCode);
        Assert.True(string.IsNullOrWhiteSpace(hostListeners.Output), $"host listeners on the kernel's ports: {hostListeners.Output}");

        // And the gateway reaches it: the round trip above went socket directory → relay → kernel.
        Assert.Equal("ok", inside.Status);
    }

    [Fact]
    public async Task CompiledCells_CompileErrorSegfaultAndCompileTimeLimit_EachGiveAClearError()
    {
        KernelSocket c = await ConnectAsync(await fixture.KernelAsync("c"));

        ExecuteResult compileError = await c.ExecuteAsync("#include <stdio.h>\nint main(void) {\n    int x = ;\n    return 0;\n}", TestTimeouts.Step);
        Assert.Equal("CompileError", compileError.Reply.ContentText("ename"));
        Assert.StartsWith("cell.c:3:", compileError.Reply.ContentText("evalue"), StringComparison.Ordinal); // the cell's own line 3

        ExecuteResult segfault = await c.ExecuteAsync("int main(void) { volatile int *p = 0; *p = 1; return 0; }", TestTimeouts.Step);
        Assert.Equal("Signal", segfault.Reply.ContentText("ename"));
        Assert.Contains("SIGSEGV", segfault.Reply.ContentText("evalue"), StringComparison.Ordinal);

        ExecuteResult exit = await c.ExecuteAsync("int main(void) { return 3; }", TestTimeouts.Step);
        Assert.Equal("ExitStatus", exit.Reply.ContentText("ename"));
        Assert.Contains("status 3", exit.Reply.ContentText("evalue"), StringComparison.Ordinal);

        // Same cell, same result (fixed flags).
        const string Deterministic = "#include <stdio.h>\nint main(void) { printf(\"%zu %d\\n\", sizeof(long), __STDC_VERSION__); return 0; }";
        string first = (await c.ExecuteAsync(Deterministic, TestTimeouts.Step)).Stdout;
        Assert.Equal(first, (await c.ExecuteAsync(Deterministic, TestTimeouts.Step)).Stdout);
        Assert.Equal("8 201710\n", first);

        // A client may lower the compile time limit (never raise it): a C++ cell that takes seconds to compile is stopped.
        RestResponse started = await GatewayRest.PostAsync(Gateway, "api/kernels",
            """{"name":"cpp","env":{"KERNEL_COMPILE_SECONDS":"1"}}""", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(started, HttpStatusCode.Created, Gateway);
        string slowKernel = started.Json!["id"]!.GetValue<string>();
        DeleteAfterTest(slowKernel);
        KernelSocket cpp = await ConnectAsync(slowKernel);
        ReceivedFrame banner = await cpp.KernelInfoAsync();
        Assert.Contains("compile limit 1 s", banner.ContentText("banner"), StringComparison.Ordinal);
        Assert.Contains("g++ -std=c++17 -O2", banner.ContentText("banner"), StringComparison.Ordinal);
        var clock = Stopwatch.StartNew();
        ExecuteResult slow = await cpp.ExecuteAsync(SlowToCompile, TestTimeouts.Step);
        Assert.Equal("CompileTimeLimitExceeded", slow.Reply.ContentText("ename"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the compile was stopped after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Widget_SliderShownByTheKernel_TakesAValueSentByTheClient()
    {
        KernelSocket socket = await ConnectAsync(await fixture.KernelAsync("python3-datascience"));
        ExecuteResult shown = await socket.ExecuteAsync("import ipywidgets as widgets\nslider = widgets.IntSlider(value=3, min=0, max=10)\ndisplay(slider)", TestTimeouts.Step);
        Assert.True(shown.Status == "ok", shown.ToString());
        // ipywidgets 6 (Debian's) opens one comm per model, the state in the comm's data.
        ReceivedFrame open = await socket.WaitForAsync(f => f.MsgType == "comm_open" && f.ContentText("target_name") == "jupyter.widget"
            && f.Content?["data"]?["_model_name"]?.GetValue<string>() == "IntSliderModel" && f.Content?["data"]?["value"]?.GetValue<int>() == 3,
            TestTimeouts.Reply, "the slider's comm_open");
        string commId = open.ContentText("comm_id")!;
        Assert.Contains(shown.IOPub, f => f.MsgType == "display_data" && f.Content?["data"]?["application/vnd.jupyter.widget-view+json"]?["model_id"]?.GetValue<string>() == commId);

        // What a front end sends when the user drags the slider (ipywidgets 6's backbone sync).
        await socket.SendAsync(JupyterMessages.Create("comm_msg", new JsonObject
        {
            ["comm_id"] = commId,
            ["data"] = new JsonObject { ["method"] = "backbone", ["sync_data"] = new JsonObject { ["value"] = 7 } },
        }, socket.SessionId));

        ExecuteResult read = await socket.ExecuteAsync("print(slider.value)", TestTimeouts.Step);
        Assert.Equal("7\n", read.Stdout);
    }

    /// <summary>Constant evaluation that keeps g++ busy for seconds (it gives up at its operation limit after about 8 s).</summary>
    private const string SlowToCompile = """
        constexpr long spin(long n) { long s = 0; for (long i = 0; i < n; ++i) for (long j = 0; j < 200; ++j) s += (i ^ j) % 7; return s; }
        static_assert(spin(200000) > 0);
        int main() { return 0; }
        """;

    private async Task<ExecuteResult> RunInSessionAsync(string sessionId, string code)
    {
        RestResponse session = await GatewayRest.GetAsync(Gateway, $"api/sessions/{sessionId}");
        string kernelId = session.Json!["kernel"]!["id"]!.GetValue<string>();
        KernelSocket socket = await ConnectAsync(kernelId);
        return await socket.ExecuteAsync(code, TestTimeouts.Step);
    }

    private async Task SwitchKernelAsync(string sessionId, string kernelName)
    {
        RestResponse patched = await GatewayRest.SendAsync(Gateway.Http, HttpMethod.Patch, Gateway.Url($"api/sessions/{sessionId}"),
            new JsonObject { ["kernel"] = new JsonObject { ["name"] = kernelName } }.ToJsonString(), timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(patched, HttpStatusCode.OK, Gateway);
        Assert.Equal(kernelName, patched.Json?["kernel"]?["name"]?.GetValue<string>());
    }

    /// <summary>Local endpoints (ip:port) in LISTEN state from /proc/net/tcp text.</summary>
    private static List<string> TcpListeners(string procNetTcp) =>
        procNetTcp.Split('\n')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && f[3] == "0A" && f[1].Contains(':', StringComparison.Ordinal))
            .Select(f =>
            {
                string[] parts = f[1].Split(':');
                byte[] ip = Convert.FromHexString(parts[0]);
                Array.Reverse(ip);
                return $"{new IPAddress(ip)}:{Convert.ToInt32(parts[1], 16)}";
            })
            .ToList();
}
