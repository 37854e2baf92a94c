using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Languages;

/// <summary>
/// Issue 10: every language the gateway offers, through the real gateway, real images and real kernels: execute with
/// stdout, a result, an error, stderr, state between cells, stdin, is_complete and complete, interrupt of an endless
/// loop within 5 s with the kernel still usable, restart, and the containment basics inside that language's sandbox
/// (only lo, uid ≠ 0, read-only root, seccomp mode 2, no capabilities, the memory limit reported as out of memory, a
/// fork bomb held at the pids limit, output over the cap cut with the notice).
/// </summary>
[Collection(LanguagesGatewayCollection.Name)]
public sealed class LanguageKernelTests(LanguagesGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private static readonly TimeSpan InterruptBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LimitCell = TimeSpan.FromSeconds(120);

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task Spec_IsListedWithItsVerifiedLanguage_AndTheKernelAnswersInIt(string spec)
    {
        LanguageCase language = LanguageCases.Get(spec);
        JsonObject listed = Assert.IsType<JsonObject>(await fixture.SpecAsync(spec));
        Assert.Equal(language.Language, listed["spec"]?["language"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        JsonObject languageInfo = Assert.IsType<JsonObject>(listed["language_info"]);
        Assert.Equal(language.Language, languageInfo["name"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrWhiteSpace(languageInfo["version"]?.GetValue<string>()), $"language_info.version of {spec}: {languageInfo}");

        RestResponse byLanguage = await GatewayRest.GetAsync(Gateway, $"api/kernelspecs?language={Uri.EscapeDataString(language.Language)}");
        JsonObject specs = Assert.IsType<JsonObject>(byLanguage.Json?["kernelspecs"]);
        Assert.Contains(spec, specs.Select(p => p.Key));
        Assert.All(specs, p => Assert.Equal(language.Language, p.Value?["spec"]?["language"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase));

        KernelSocket socket = await SocketAsync(spec);
        ReceivedFrame info = await socket.KernelInfoAsync();
        Assert.Equal(language.Language, info.Content?["language_info"]?["name"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task Cells_ShowStdoutResultErrorStderrStateAndInput(string spec)
    {
        LanguageCase language = LanguageCases.Get(spec);
        KernelSocket socket = await SocketAsync(spec);

        await ExpectAsync(socket, language.Hello);
        if (language.Expression is { } expression)
        {
            await ExpectAsync(socket, expression);
        }
        await ExpectAsync(socket, language.Error);
        await ExpectAsync(socket, language.Stderr);
        ExecuteResult set = await socket.ExecuteAsync(language.State.Set, TestTimeouts.Step);
        Assert.True(set.Status == "ok", $"{spec}: setting state: {set}");
        await ExpectAsync(socket, language.State.Get);
        if (language.Input is { } input)
        {
            await ExpectAsync(socket, input, answer: "bob");
        }
    }

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task Introspection_AnswersIsCompleteAndComplete(string spec)
    {
        LanguageCase language = LanguageCases.Get(spec);
        KernelSocket socket = await SocketAsync(spec);

        ReceivedFrame incomplete = await RequestAsync(socket, "is_complete_request", new JsonObject { ["code"] = language.Incomplete });
        Assert.Equal("incomplete", incomplete.ContentText("status"));

        (string code, string match) = language.Completion;
        ReceivedFrame complete = await RequestAsync(socket, "complete_request", new JsonObject { ["code"] = code, ["cursor_pos"] = code.Length });
        Assert.Equal("ok", complete.ContentText("status"));
        JsonArray matches = Assert.IsType<JsonArray>(complete.Content?["matches"]);
        Assert.Contains(match, matches.Select(m => m?.GetValue<string>()));
    }

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task EndlessLoop_IsInterruptedWithin5Seconds_AndTheKernelGoesOn(string spec)
    {
        LanguageCase language = LanguageCases.Get(spec);
        string kernelId = await fixture.KernelAsync(spec);
        KernelSocket socket = await ConnectAsync(kernelId);

        string id = await StartEndlessLoopAsync(socket, language);

        var clock = Stopwatch.StartNew();
        RestResponse interrupt = await GatewayRest.PostAsync(Gateway, $"api/kernels/{kernelId}/interrupt", null);
        GatewayRest.ExpectStatus(interrupt, HttpStatusCode.NoContent, Gateway);
        ReceivedFrame reply = await socket.WaitForAsync(f => f.ParentMsgId == id && f.MsgType == "execute_reply", InterruptBound + TestTimeouts.Reply, $"{spec}: reply of the interrupted loop");
        clock.Stop();
        Output.WriteLine($"{spec}: interrupt to execute_reply {clock.Elapsed.TotalMilliseconds:0} ms, reply {reply}");
        Assert.True(clock.Elapsed < InterruptBound, $"{spec}: the loop ended {clock.Elapsed.TotalSeconds:0.0} s after the interrupt");
        Assert.NotEqual("ok", reply.ContentText("status"));

        // The next cell goes once the interrupted one has ended: IRkernel answers requests that are queued while it
        // ends an interrupted cell with "aborted" (stop on error, as for a notebook's Run All).
        await socket.WaitForAsync(f => f.ParentMsgId == id && f.MsgType == "status" && f.ContentText("execution_state") == "idle",
            TestTimeouts.Reply, $"{spec}: idle after the interrupted loop");
        await ExpectAsync(socket, language.Hello);
    }

    /// <summary>
    /// A user pressing stop again and again: interrupts land anywhere in the kernel's cell loop, also while it drains the
    /// ended program's output and builds the reply. Every cell still gets its one execute_reply (a KeyboardInterrupt
    /// escaping the loop used to leave the cell with an idle status and no reply). The kernels the project wrote:
    /// compile-and-run (C, Java) and terminal REPL (Bash, Octave).
    /// </summary>
    [Theory]
    [InlineData("c")]
    [InlineData("java")]
    [InlineData("bash")]
    [InlineData("octave")]
    public async Task InterruptsInABurst_EveryCellStillGetsItsReply(string spec)
    {
        LanguageCase language = LanguageCases.Get(spec);
        string kernelId = await fixture.KernelAsync(spec);
        KernelSocket socket = await ConnectAsync(kernelId);
        for (int round = 0; round < 3; round++)
        {
            string id = await StartEndlessLoopAsync(socket, language);
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
                GatewayRest.ExpectStatus(await GatewayRest.PostAsync(Gateway, $"api/kernels/{kernelId}/interrupt", null), HttpStatusCode.NoContent, Gateway)));

            await socket.WaitUntilAsync(frames =>
                frames.Any(f => f.ParentMsgId == id && f.MsgType == "execute_reply")
                && frames.Any(f => f.ParentMsgId == id && f.MsgType == "status" && f.ContentText("execution_state") == "idle"),
                InterruptBound + TestTimeouts.Reply, $"{spec}: round {round}: the interrupted cell's reply and idle");
            Assert.Single(socket.Frames, f => f.ParentMsgId == id && f.MsgType == "execute_reply" && f.ContentText("status") == "error");
        }
        await ExpectAsync(socket, language.Hello);
    }

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task Restart_GivesANewKernelThatRunsCells(string spec)
    {
        LanguageCase language = LanguageCases.Get(spec);
        string kernelId = await fixture.KernelAsync(spec);
        KernelSocket socket = await ConnectAsync(kernelId);
        await ExpectAsync(socket, language.Hello);

        await fixture.RestartAsync(kernelId);

        await socket.KernelInfoAsync();
        await ExpectAsync(socket, language.Hello);
    }

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task Sandbox_SeenFromInside_HasOnlyLoopbackNoRootNoCapabilitiesSeccompAndAReadOnlyRoot(string spec)
    {
        KernelSocket socket = await SocketAsync(spec);
        ExecuteResult probe = await socket.ExecuteAsync(LanguageCases.Get(spec).Probe, TestTimeouts.Step);
        string seen = probe.Stdout;
        Assert.True(probe.Status == "ok", $"{spec}: probe: {probe}");
        Assert.Matches(@"(?m)^uid=[1-9][0-9]*$", seen);
        Assert.Contains("net=lo\n", seen, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^Seccomp:\s+2$", seen);
        Assert.Matches(@"(?m)^NoNewPrivs:\s+1$", seen);
        Assert.Matches(@"(?m)^CapEff:\s+0+$", seen);
        Assert.Contains("root=read-only", seen, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task MemoryHog_IsStoppedByTheMemoryLimit_AndReportedAsOutOfMemory(string spec)
    {
        LanguageCase language = LanguageCases.Get(spec);
        KernelSocket socket = await SocketAsync(spec);

        ExecuteResult hog = await RunUntilReplyAsync(socket, language.MemoryHog, LimitCell);
        string said = Said(hog);
        Output.WriteLine($"{spec}: {said}");
        Assert.Equal("error", hog.Status);
        Assert.True(
            new[] { "memory limit", "out of memory", "OutOfMemoryError" }.Any(s => said.Contains(s, StringComparison.OrdinalIgnoreCase)),
            $"{spec}: the cell does not say it ran out of memory: {said}");

        // Usable again: the same kernel (a child was killed) or, when the kernel itself was killed, after a restart.
        await ExpectAsync(await SocketAsync(spec), language.Hello);
    }

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task ForkBomb_IsHeldAtThePidsLimit(string spec)
    {
        LanguageCase language = LanguageCases.Get(spec);
        string kernelId = await fixture.KernelAsync(spec);
        KernelSocket socket = await ConnectAsync(kernelId);

        ExecuteResult bomb = await RunUntilReplyAsync(socket, language.ForkBomb, LimitCell);
        Output.WriteLine($"{spec}: {Said(bomb)}");
        // The container's pids cgroup refused forks (its "max" counter), and the gateway counted it from the host side.
        Assert.Matches(@"pids-events: max [1-9][0-9]*", bomb.Stdout);
        RestResponse scrape = await GatewayRest.GetAsync(Gateway, "metrics");
        Assert.True(MetricsText.Value(scrape.Body, "sandbox_pids_limit_hits_total", $"kernel_id=\"{kernelId}\"") >= 1,
            $"{spec}: sandbox_pids_limit_hits_total of the kernel\n{scrape.Body}");

        await GatewayRest.EventuallyAsync(async () =>
        {
            // The bomb's children end after 5 s; until then a new process may still be refused.
            ExecuteResult hello = await (await SocketAsync(spec)).ExecuteAsync(language.Hello.Code, TestTimeouts.Step);
            return (hello.Status == "ok" && hello.Stdout.Contains(language.Hello.Stdout!, StringComparison.Ordinal), hello.ToString());
        }, TestTimeouts.Step, $"{spec}: a cell runs again after the fork bomb");
    }

    [Theory]
    [MemberData(nameof(LanguageCases.Specs), MemberType = typeof(LanguageCases))]
    public async Task OutputFlood_IsCutAtTheCapWithTheNotice(string spec)
    {
        KernelSocket socket = await SocketAsync(spec);
        ExecuteResult flood = await RunUntilReplyAsync(socket, LanguageCases.Get(spec).Flood, TestTimeouts.Step);
        await socket.WaitForAsync(f => f.ParentMsgId == flood.MsgId && f.MsgType == "stream" && f.ContentText("text")?.Contains("[output truncated", StringComparison.Ordinal) == true,
            TestTimeouts.Reply, $"{spec}: the output cap's notice");
        int delivered = socket.Frames.Where(f => f.ParentMsgId == flood.MsgId && f.MsgType == "stream" && f.ContentText("name") == "stdout")
            .Sum(f => System.Text.Encoding.UTF8.GetByteCount(f.ContentText("text") ?? ""));
        // Messages that would pass the cap are dropped whole (a single 1 MB write may leave nothing before the notice).
        Assert.InRange(delivered, 0, LanguagesGatewayFixture.OutputBytesPerCell);
    }

    private async Task<KernelSocket> SocketAsync(string spec) => await ConnectAsync(await fixture.KernelAsync(spec));

    /// <summary>Sends the language's endless loop and waits for its first output; the cell's msg_id.</summary>
    private static async Task<string> StartEndlessLoopAsync(KernelSocket socket, LanguageCase language)
    {
        JsonObject request = JupyterMessages.ExecuteRequest(socket.SessionId, language.EndlessLoop);
        string id = JupyterMessages.MsgId(request);
        await socket.SendAsync(request);
        await socket.WaitForAsync(f => f.ParentMsgId == id && f.MsgType == "stream" && f.ContentText("text")?.Contains("looping", StringComparison.Ordinal) == true,
            TestTimeouts.Step, $"{language.Spec}: the loop's first output");
        return id;
    }

    /// <summary>Runs <paramref name="check"/>'s cell and asserts what it says it shows.</summary>
    private async Task ExpectAsync(KernelSocket socket, CellCheck check, string? answer = null)
    {
        ExecuteResult result = answer is null
            ? await socket.ExecuteAsync(check.Code, TestTimeouts.Step)
            : await socket.ExecuteAsync(check.Code, TestTimeouts.Step, onInputRequest: request =>
                socket.SendAsync(JupyterMessages.InputReply(socket.SessionId, (JsonObject)request.Message!["header"]!, answer)));
        string what = $"{check.Code}\n→ {result}";
        if (check.ErrorName is not null || check.ErrorText is not null)
        {
            Assert.True(result.Status == "error", $"expected an error: {what}");
            if (check.ErrorName is not null)
            {
                Assert.True(result.Reply.ContentText("ename") == check.ErrorName, $"ename {check.ErrorName}: {what}");
            }
            if (check.ErrorText is not null)
            {
                Assert.True(Said(result).Contains(check.ErrorText, StringComparison.Ordinal), $"error text {check.ErrorText}: {what}");
            }
            return;
        }
        Assert.True(result.Status == "ok", $"expected ok: {what}");
        if (check.Stdout is not null)
        {
            Assert.True(result.Stdout.Contains(check.Stdout, StringComparison.Ordinal), $"stdout {check.Stdout}: {what}");
        }
        if (check.Stderr is not null)
        {
            Assert.True(Stream(result, "stderr").Contains(check.Stderr, StringComparison.Ordinal), $"stderr {check.Stderr}: {what}");
        }
        if (check.Result is not null)
        {
            string shown = string.Concat(result.IOPub.Where(f => f.MsgType is "execute_result" or "display_data")
                .Select(f => f.Content?["data"]?["text/plain"]?.GetValue<string>()));
            Assert.True(shown.Contains(check.Result, StringComparison.Ordinal), $"result {check.Result}: {what}");
        }
        if (answer is not null)
        {
            Assert.Single(result.Stdin, f => f.MsgType == "input_request");
        }
    }

    /// <summary>
    /// Runs a cell until it has ended: its execute_reply, and then either its idle status (iopub is another channel:
    /// output may still follow the reply) or, for a cell whose kernel died, the gateway's lifecycle status, which the
    /// gateway sends before it answers the cell and after which no idle status comes.
    /// </summary>
    private static async Task<ExecuteResult> RunUntilReplyAsync(KernelSocket socket, string code, TimeSpan timeout)
    {
        JsonObject request = JupyterMessages.ExecuteRequest(socket.SessionId, code);
        string id = JupyterMessages.MsgId(request);
        int before = socket.Frames.Count;
        await socket.SendAsync(request);
        ReceivedFrame? reply = null;
        await socket.WaitUntilAsync(frames =>
        {
            reply ??= frames.FirstOrDefault(f => f.ParentMsgId == id && f.MsgType == "execute_reply");
            return reply is not null && frames.Skip(before).Any(f => f.Channel == "iopub" && f.MsgType == "status"
                && (f.ParentMsgId == id ? f.ContentText("execution_state") == "idle"
                    : f.ParentMsgId is null && f.ContentText("execution_state") is "dead" or "restarting"));
        }, timeout, $"execute_reply and the end of {code}");
        List<ReceivedFrame> mine = socket.Frames.Where(f => f.ParentMsgId == id).ToList();
        return new ExecuteResult(id, reply!, mine.Where(f => f.Channel == "iopub").ToList(), mine.Where(f => f.Channel == "stdin").ToList());
    }

    private static async Task<ReceivedFrame> RequestAsync(KernelSocket socket, string msgType, JsonObject content)
    {
        JsonObject request = JupyterMessages.Create(msgType, content, socket.SessionId);
        string id = JupyterMessages.MsgId(request);
        await socket.SendAsync(request);
        string replyType = msgType.Replace("_request", "_reply", StringComparison.Ordinal);
        return await socket.WaitForAsync(f => f.ParentMsgId == id && f.MsgType == replyType, TestTimeouts.Step, replyType);
    }

    private static string Stream(ExecuteResult result, string name) =>
        string.Concat(result.IOPub.Where(f => f.MsgType == "stream" && f.ContentText("name") == name).Select(f => f.ContentText("text")));

    /// <summary>Everything a cell said: the reply's error, the error output, stdout and stderr.</summary>
    private static string Said(ExecuteResult result) => string.Join('\n',
        result.Reply.ContentText("ename"), result.Reply.ContentText("evalue"),
        string.Join('\n', result.Reply.Content?["traceback"]?.AsArray().Select(t => t?.GetValue<string>()) ?? []),
        string.Concat(result.IOPub.Where(f => f.MsgType == "error").Select(f => f.ContentText("evalue"))),
        result.Stdout, Stream(result, "stderr"));
}
