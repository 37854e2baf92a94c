using System.Text.Json;
using Microsoft.AspNetCore.Http;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Containers;

/// <summary>Request shapes and stream handling of <see cref="ContainerOperations"/> against a fake engine.</summary>
public sealed class ContainerOperationsTests
{
    private static RequestDelegate ServeLogs(byte[] data, int chunk, string contentType = "application/vnd.docker.raw-stream") => async context =>
    {
        context.Response.ContentType = contentType;
        await FakeEngine.WriteInChunksAsync(context, data, chunk);
    };

    [Fact]
    public async Task GetLogsAsync_FramesChunkedByEngine_SeparatesStdoutAndStderr()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        var data = LogFrames.Encode(
            (LogStreamKind.Stdout, "out 1\n"), (LogStreamKind.Stderr, "err 1\n"),
            (LogStreamKind.Stdout, "out 2\n"), (LogStreamKind.Stderr, "err 2\n"));
        engine.Handler = ServeLogs(data, chunk: 5);
        using var client = engine.CreateClient();

        var logs = await client.Containers.GetLogsAsync("abc", new ContainerLogsParameters { Tail = 5 });

        Assert.Equal("out 1\nout 2\n", logs.Stdout);
        Assert.Equal("err 1\nerr 2\n", logs.Stderr);
        Assert.False(logs.Truncated);
        Assert.Equal(
            "GET /v1.41/containers/abc/logs?stdout=true&stderr=true&follow=false&timestamps=false&tail=5",
            engine.Requests.Last());
    }

    [Fact]
    public async Task GetLogsAsync_OutputAboveMaxBytes_TruncatesAndFlags()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = ServeLogs(LogFrames.Encode((LogStreamKind.Stdout, "0123456789"), (LogStreamKind.Stderr, "abcdef")), chunk: 64);
        using var client = engine.CreateClient();

        var logs = await client.Containers.GetLogsAsync("abc", new ContainerLogsParameters { MaxBytes = 12 });

        Assert.Equal("0123456789", logs.Stdout);
        Assert.Equal("ab", logs.Stderr);
        Assert.True(logs.Truncated);
    }

    [Fact]
    public async Task StreamLogsAsync_Api147RawStreamLabel_TreatsOutputAsTty()
    {
        await using var engine = await FakeEngine.StartAsync("1.47");
        engine.Handler = ServeLogs("plain tty text\n"u8.ToArray(), chunk: 4);
        using var client = engine.CreateClient();

        var logs = await client.Containers.GetLogsAsync("abc");

        Assert.Equal("plain tty text\n", logs.Stdout);
    }

    [Fact]
    public async Task StreamLogsAsync_Api147MultiplexedLabel_Demultiplexes()
    {
        await using var engine = await FakeEngine.StartAsync("1.47");
        engine.Handler = ServeLogs(LogFrames.Encode((LogStreamKind.Stderr, "e\n")), chunk: 3, "application/vnd.docker.multiplexed-stream");
        using var client = engine.CreateClient();

        var frames = new List<LogFrame>();
        await foreach (var frame in client.Containers.StreamLogsAsync("abc"))
        {
            frames.Add(frame);
        }

        Assert.Equal(LogStreamKind.Stderr, Assert.Single(frames).Stream);
    }

    [Fact]
    public async Task CreateAsync_HardenedRequest_SendsPascalCaseBodyWithoutNulls()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        string? body = null;
        engine.Handler = async context =>
        {
            body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await FakeEngine.WriteJsonAsync(context, 201, """{"Id":"0123","Warnings":["a warning"]}""");
        };
        using var client = engine.CreateClient();
        var request = new ContainerCreateRequest
        {
            Image = "img",
            Cmd = ["sh", "-c", "true"],
            NetworkDisabled = true,
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges", """seccomp={"defaultAction":"SCMP_ACT_ERRNO"}"""],
                NanoCpus = 500_000_000,
                Ulimits = [new Ulimit { Name = "nofile", Soft = 64, Hard = 64 }],
                Tmpfs = new Dictionary<string, string> { ["/tmp"] = "size=16m" },
                Mounts = [new Mount { Type = MountTypes.Tmpfs, Target = "/scratch", TmpfsOptions = new TmpfsOptions { SizeBytes = 1024, Mode = 1023 } }],
            },
        };

        var created = await client.Containers.CreateAsync(request, "kernel-1");

        Assert.Equal("0123", created.Id);
        Assert.Equal(["a warning"], created.Warnings);
        Assert.Equal("POST /v1.41/containers/create?name=kernel-1", engine.Requests.Last());
        using var json = JsonDocument.Parse(body!);
        var root = json.RootElement;
        Assert.Equal("img", root.GetProperty("Image").GetString());
        Assert.True(root.GetProperty("NetworkDisabled").GetBoolean());
        Assert.False(root.TryGetProperty("User", out _));
        Assert.False(root.TryGetProperty("Env", out _));
        var host = root.GetProperty("HostConfig");
        Assert.Equal(500_000_000, host.GetProperty("NanoCpus").GetInt64());
        Assert.False(host.GetProperty("Privileged").GetBoolean());
        Assert.False(host.TryGetProperty("Memory", out _));
        Assert.False(host.TryGetProperty("Runtime", out _));
        Assert.Equal("""seccomp={"defaultAction":"SCMP_ACT_ERRNO"}""", host.GetProperty("SecurityOpt")[1].GetString());
        Assert.Equal("nofile", host.GetProperty("Ulimits")[0].GetProperty("Name").GetString());
        Assert.Equal("size=16m", host.GetProperty("Tmpfs").GetProperty("/tmp").GetString());
        var mount = host.GetProperty("Mounts")[0];
        Assert.Equal("tmpfs", mount.GetProperty("Type").GetString());
        Assert.Equal(1024, mount.GetProperty("TmpfsOptions").GetProperty("SizeBytes").GetInt64());
        Assert.False(mount.TryGetProperty("Source", out _));
    }

    [Fact]
    public async Task ListAsync_LabelFilter_SendsArrayFormFilters()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteJsonAsync(context, 200, """[{"Id":"a","Names":["/x"],"Labels":{"k":"v"},"State":"running","Created":1700000000}]""");
        using var client = engine.CreateClient();

        var list = await client.Containers.ListAsync(new ContainerListParameters { Filters = DockerFilters.ByLabel("k", "v") });

        var summary = Assert.Single(list);
        Assert.Equal("v", summary.Labels!["k"]);
        var query = engine.Requests.Last().Split('?')[1];
        Assert.Equal("all=true&filters=" + Uri.EscapeDataString("""{"label":["k=v"]}"""), query);
    }

    [Fact]
    public async Task WaitAsync_NextExit_ReturnsStatusCode()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteJsonAsync(context, 200, """{"Error":null,"StatusCode":137}""");
        using var client = engine.CreateClient();

        var result = await client.Containers.WaitAsync("abc", ContainerWaitCondition.NextExit);

        Assert.Equal(137, result.StatusCode);
        Assert.Equal("POST /v1.41/containers/abc/wait?condition=next-exit", engine.Requests.Last());
    }

    [Fact]
    public async Task StopAsync_Timeout_SendsSecondsAndHonoursNotModified()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context =>
        {
            context.Response.StatusCode = 304;
            return Task.CompletedTask;
        };
        using var client = engine.CreateClient();

        var stopped = await client.Containers.StopAsync("abc", TimeSpan.FromSeconds(2.5));

        Assert.False(stopped);
        Assert.Equal("POST /v1.41/containers/abc/stop?t=3", engine.Requests.Last());
    }
}
