using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Execution;

/// <summary>Issue 5 items 5 and 7 against the real gateway and real sandboxed kernels: wall clock, per-user output caps, audit, JSON logs.</summary>
[Collection(ExecutionGatewayCollection.Name)]
public sealed class ExecutionLimitsTests(ExecutionGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private static readonly string StoppedNotice =
        $"[execution stopped: this cell ran longer than the {ExecutionGatewayFixture.WallClockSeconds} s limit; the kernel was interrupted]\n";

    private static readonly string RestartedNotice =
        $"[kernel restarted: the cell did not stop within {ExecutionGatewayFixture.GraceSeconds} s of the interrupt]\n";

    [Fact]
    public async Task WallClock_BusyLoop_InterruptedAtTheLimitWithANoticeAndTheKernelKeepsItsState()
    {
        KernelSocket socket = await ConnectAsync(await StartKernelAsync());
        await socket.ExecuteAsync("kept = 41");
        var clock = Stopwatch.StartNew();

        ExecuteResult loop = await socket.ExecuteAsync("while True: pass", TestTimeouts.Step);

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(ExecutionGatewayFixture.WallClockSeconds - 0.5), $"stopped after {clock.Elapsed}, before the limit");
        Assert.Equal("error", loop.Status);
        Assert.Equal("KeyboardInterrupt", loop.ErrorName);
        ReceivedFrame notice = Assert.Single(loop.IOPub, f => f.MsgType == "stream" && f.ContentText("name") == "stderr");
        Assert.Equal(StoppedNotice, notice.ContentText("text"));
        Assert.Equal(loop.MsgId, notice.ParentMsgId);
        // Interrupted, not restarted: the namespace survived.
        Assert.Equal("42", (await socket.ExecuteAsync("kept + 1")).ResultText);
    }

    [Fact]
    public async Task WallClock_CellIgnoringSigint_KernelRestartedAndTheClientToldWhy()
    {
        string id = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(id);
        JsonObject request = JupyterMessages.ExecuteRequest(socket.SessionId, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass");
        string msgId = JupyterMessages.MsgId(request);

        await socket.SendAsync(request);
        ReceivedFrame restarted = await socket.WaitForAsync(
            f => f.MsgType == "stream" && f.ContentText("text") == RestartedNotice, TestTimeouts.Step, "the restart notice");

        Assert.Equal(msgId, restarted.ParentMsgId);
        var mine = socket.Frames.Where(f => f.ParentMsgId == msgId && f.MsgType == "stream").Select(f => f.ContentText("text")).ToList();
        Assert.Equal([StoppedNotice, RestartedNotice], mine);
        await socket.WaitForAsync(f => f.MsgType == "status" && f.ContentText("execution_state") == "restarting", TestTimeouts.Step, "restarting status");
        // The killed run never answers the cell; the gateway does, after the restarting status.
        ReceivedFrame reply = await socket.WaitForAsync(f => f.MsgType == "execute_reply" && f.ParentMsgId == msgId, TestTimeouts.Reply, "the cell's execute_reply");
        Assert.Equal("error", reply.ContentText("status"));
        Assert.Equal("KernelRestarted", reply.ContentText("ename"));
        Assert.Equal("the kernel was restarted before this cell finished; its variables are gone", reply.ContentText("evalue"));
        // A new kernel process: SIGINT is back to Python's default handler, and the kernel still exists under its id.
        await socket.KernelInfoResendingAsync(TestTimeouts.KernelStart, TimeSpan.FromSeconds(1));
        ExecuteResult after = await socket.ExecuteAsync("import signal\nsignal.getsignal(signal.SIGINT) is signal.default_int_handler", TestTimeouts.KernelStart);
        Assert.Equal("True", after.ResultText);
        GatewayRest.ExpectStatus(await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}"), HttpStatusCode.OK, Gateway);
    }

    [Fact]
    public async Task OutputCap_PerUser_AliceIsCutAtHerCapWhileTheDefaultUserIsNot()
    {
        const string Print = "for i in range(100):\n    print('y' * 1999)";
        using HttpClient alice = Gateway.CreateHttpClient(ExecutionGatewayFixture.AliceToken);
        RestResponse created = await GatewayRest.SendAsync(alice, new HttpRequestMessage(HttpMethod.Post, Gateway.Url("api/kernels")) { Content = new StringContent("{}") }, TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string aliceKernel = created.Json!["id"]!.GetValue<string>();
        try
        {
            KernelSocket aliceSocket = Track(await KernelSocket.ConnectAsync(Gateway.ChannelsUri(aliceKernel, "alice-s", queryToken: null), "alice-s", ExecutionGatewayFixture.AliceToken));
            await aliceSocket.KernelInfoAsync();
            KernelSocket defaultSocket = await ConnectAsync(await StartKernelAsync());

            ExecuteResult aliceRun = await aliceSocket.ExecuteAsync(Print);
            ExecuteResult defaultRun = await defaultSocket.ExecuteAsync(Print);

            // ipykernel batches stream output, so the first message may already be over the cap: 0 bytes is right then.
            Assert.InRange(aliceRun.Stdout.Length, 0, ExecutionGatewayFixture.AliceOutputBytesPerCell);
            ReceivedFrame notice = Assert.Single(aliceRun.IOPub, f => f.MsgType == "stream" && f.ContentText("name") == "stderr");
            Assert.Contains("output truncated: this cell exceeded the output limit of 64 KiB", notice.ContentText("text"), StringComparison.Ordinal);
            Assert.Equal(200_000, defaultRun.Stdout.Length);
            Assert.DoesNotContain(defaultRun.IOPub, f => f.MsgType == "stream" && f.ContentText("name") == "stderr");
        }
        finally
        {
            await GatewayRest.SendAsync(alice, new HttpRequestMessage(HttpMethod.Delete, Gateway.Url($"api/kernels/{aliceKernel}")));
        }
    }

    [Fact]
    public async Task AuditLog_OneLinePerExecution_WithHashAndOutcome_NeverTheCodeOrTheToken()
    {
        string kernel = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(kernel);
        string code = $"audit_marker_{Guid.NewGuid():N} = 1";

        ExecuteResult ok = await socket.ExecuteAsync(code);
        ExecuteResult failed = await socket.ExecuteAsync("1/0");

        JsonObject okLine = await AuditLineAsync(ok.MsgId);
        JsonObject errorLine = await AuditLineAsync(failed.MsgId);
        Assert.Equal("ok", (string?)okLine["outcome"]);
        Assert.Equal("error", (string?)errorLine["outcome"]);
        Assert.Equal("default", (string?)okLine["user"]);
        Assert.Equal(kernel, (string?)okLine["kernel_id"]);
        Assert.Equal("python3", (string?)okLine["kernel_name"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code))), (string?)okLine["code_sha256"]);
        Assert.Equal(Encoding.UTF8.GetByteCount(code), (long)okLine["code_bytes"]!);
        Assert.InRange((double)okLine["duration_seconds"]!, 0.0001, 30);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse((string)okLine["time"]!, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(5));
        string all = await SharedFile.ReadAllTextAsync(fixture.AuditPath);
        Assert.DoesNotContain(code, all, StringComparison.Ordinal);
        Assert.DoesNotContain(Gateway.Token, all, StringComparison.Ordinal);
        Assert.DoesNotContain(ExecutionGatewayFixture.AliceToken, all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonConsole_EveryStdoutLineIsAJsonLogEntry_AndNoneCarriesTheToken()
    {
        // Something to log: a kernel start and a cell.
        KernelSocket socket = await ConnectAsync(await StartKernelAsync());
        await socket.ExecuteAsync("1");

        string[] stdout = Gateway.Output.Split('\n').Where(l => l.StartsWith("[out] ", StringComparison.Ordinal)).Select(l => l[6..]).ToArray();
        Assert.NotEmpty(stdout);
        var entries = new List<JsonObject>();
        foreach (string line in stdout)
        {
            JsonObject entry;
            try
            {
                entry = Assert.IsType<JsonObject>(JsonNode.Parse(line));
            }
            catch (JsonException ex)
            {
                Assert.Fail($"a stdout line is not JSON ({ex.Message}): {line}");
                throw;
            }
            Assert.NotNull(entry["Timestamp"]);
            Assert.NotNull(entry["LogLevel"]);
            Assert.NotNull(entry["Category"]);
            Assert.NotNull(entry["Message"]);
            entries.Add(entry);
        }
        Assert.Contains(entries, e => (int?)e["EventId"] == 3902 && ((string?)e["Message"] ?? "").StartsWith("NotebookGateway is listening on http://127.0.0.1:", StringComparison.Ordinal));
        Assert.DoesNotContain(Gateway.Token, Gateway.Output, StringComparison.Ordinal);
    }

    private async Task<JsonObject> AuditLineAsync(string msgId)
    {
        JsonObject? found = null;
        await GatewayRest.EventuallyAsync(async () =>
        {
            string text = File.Exists(fixture.AuditPath) ? await SharedFile.ReadAllTextAsync(fixture.AuditPath) : "";
            found = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonNode.Parse(l) as JsonObject)
                .FirstOrDefault(o => (string?)o?["msg_id"] == msgId);
            return (found is not null, $"{text.Length} bytes of audit log");
        }, TestTimeouts.Reply, $"the audit line of {msgId}");
        return found!;
    }
}
