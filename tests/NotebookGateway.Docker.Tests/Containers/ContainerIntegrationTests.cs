using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Events;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Containers;

/// <summary>Container lifecycle against the real engine.</summary>
[Collection(DockerEngineCollection.Name)]
public sealed class ContainerIntegrationTests(DockerEngineFixture engine) : IAsyncLifetime
{
    private readonly EngineTestScope _scope = new(engine);

    private DockerClient Client => engine.Client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task CreateAsync_HardenedHostConfig_InspectReadsEnvelopeBack()
    {
        var ct = EngineTestScope.Deadline();
        var request = Sandbox.Hardened(_scope, "true");

        var created = await Client.Containers.CreateAsync(request, _scope.Name("hardened"), ct);
        var inspect = await Client.Containers.InspectAsync(created.Id, ct);

        Assert.Equal(created.Id, inspect.Id);
        Assert.Equal("/" + _scope.Name("hardened"), inspect.Name);
        Assert.Equal("created", inspect.State!.Status);
        Assert.False(inspect.State.Running);
        var host = inspect.HostConfig!;
        Assert.Equal("none", host.NetworkMode);
        Assert.True(host.ReadonlyRootfs);
        if (TestEngine.IsPodman)
        {
            // Podman reports the dropped set one by one; the container's empty CapEff is asserted where it runs.
            Assert.Contains("CHOWN", host.CapDrop!);
            Assert.Contains("SETUID", host.CapDrop!);
            Assert.Contains("KILL", host.CapDrop!);
            Assert.Empty(host.CapAdd ?? []);
        }
        else
        {
            Assert.Equal(["ALL"], host.CapDrop);
        }

        Assert.Contains("no-new-privileges", host.SecurityOpt!);
        Assert.Equal(64, host.PidsLimit);
        Assert.Equal(64 * Sandbox.MiB, host.Memory);
        Assert.Equal(64 * Sandbox.MiB, host.MemorySwap);
        Assert.Equal(500_000_000, host.NanoCpus);
        // Podman names them as the kernel does: RLIMIT_NOFILE.
        var ulimits = host.Ulimits!.Select(u => (Name: u.Name.Replace("RLIMIT_", "", StringComparison.Ordinal).ToLowerInvariant(), u.Soft, u.Hard)).ToList();
        Assert.Contains(("nofile", 256L, 256L), ulimits);
        Assert.Contains(("core", 0L, 0L), ulimits);
        Assert.Contains(("nproc", 1024L, 1024L), ulimits);
        // Podman appends its own defaults (rw, rprivate, tmpcopyup).
        Assert.Equal(["size=16m", "mode=1777", "noexec", "nosuid", "nodev"], host.Tmpfs!["/tmp"].Split(',').Take(5));
        Assert.Equal(8 * Sandbox.MiB, host.ShmSize);
        Assert.True(host.Init);
        Assert.False(host.Privileged);
        Assert.Equal(TestEngine.IsPodman ? "shareable" : "private", host.IpcMode); // Podman names its private namespace so
        var config = inspect.Config!;
        Assert.Equal("65534:65534", config.User);
        Assert.Equal("/tmp", config.WorkingDir);
        Assert.Equal(["/bin/sh", "-c", "true"], config.Cmd);
        // Podman reports the stop signal by number and has no NetworkDisabled (the network mode above is none).
        Assert.Equal(TestEngine.IsPodman ? "15" : "SIGTERM", config.StopSignal);
        Assert.Equal(5, config.StopTimeout);
        Assert.True(config.NetworkDisabled ?? TestEngine.IsPodman);
        foreach (var (key, value) in _scope.Labels)
        {
            Assert.Equal(value, config.Labels![key]);
        }
    }

    [Fact]
    public async Task StartAsync_HardenedContainer_SeesReadOnlyRootNoNetworkAndExitCode()
    {
        var ct = EngineTestScope.Deadline();
        var before = DateTimeOffset.UtcNow;
        const string script =
            "touch /probe 2>/dev/null && echo rootfs=rw || echo rootfs=ro; echo scratch > /tmp/f && cat /tmp/f; " +
            "id -u; ls /sys/class/net; grep -E '^(CapEff|NoNewPrivs):' /proc/self/status | tr -d '\\t'; exit 3";

        var (id, exitCode) = await Sandbox.RunToExitAsync(_scope, Sandbox.Hardened(_scope, script), "exit", ct);
        var logs = await Client.Containers.GetLogsAsync(id, cancellationToken: ct);
        var inspect = await Client.Containers.InspectAsync(id, ct);

        Assert.Equal(3, exitCode);
        Assert.Equal(3, inspect.State!.ExitCode);
        Assert.Equal("exited", inspect.State.Status);
        Assert.False(inspect.State.OomKilled);
        // Both times are parsed real times of this run. Their order is not asserted: the engine can stamp a
        // container that exits at once as finished before it was started (moby/moby#45445), as one CI run saw.
        var window = TimeSpan.FromMinutes(1);
        var (earliest, latest) = (before - window, DateTimeOffset.UtcNow + window);
        Assert.InRange(inspect.State.StartedAt!.Value, earliest, latest);
        Assert.InRange(inspect.State.FinishedAt!.Value, earliest, latest);
        Assert.Equal(["rootfs=ro", "scratch", "65534", "lo", "CapEff:0000000000000000", "NoNewPrivs:1"],
            logs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task GetLogsAsync_StdoutAndStderr_AreDemultiplexed()
    {
        var ct = EngineTestScope.Deadline();
        var script = "echo out1; echo err1 >&2; echo out2; echo err2 >&2; head -c 70000 /dev/zero | tr '\\0' x; echo";

        var (id, exitCode) = await Sandbox.RunToExitAsync(_scope, Sandbox.Hardened(_scope, script), "logs", ct);
        var logs = await Client.Containers.GetLogsAsync(id, cancellationToken: ct);
        var onlyErr = await Client.Containers.GetLogsAsync(id, new ContainerLogsParameters { Stdout = false }, ct);

        Assert.Equal(0, exitCode);
        Assert.Equal("out1\nout2\n" + new string('x', 70000) + "\n", logs.Stdout);
        Assert.Equal("err1\nerr2\n", logs.Stderr);
        Assert.Equal("", onlyErr.Stdout);
        Assert.Equal("err1\nerr2\n", onlyErr.Stderr);
    }

    [Fact]
    public async Task GetLogsAsync_Tail_ReturnsLastLines()
    {
        var ct = EngineTestScope.Deadline();

        var (id, _) = await Sandbox.RunToExitAsync(_scope, Sandbox.Hardened(_scope, "seq 1 10"), "tail", ct);
        var logs = await Client.Containers.GetLogsAsync(id, new ContainerLogsParameters { Tail = 3 }, ct);

        Assert.Equal("8\n9\n10\n", logs.Stdout);
    }

    [Fact]
    public async Task KillAsync_Sigterm_ContainerExitsWithSignalStatus()
    {
        var ct = EngineTestScope.Deadline();
        var created = await Client.Containers.CreateAsync(Sandbox.Hardened(_scope, "exec sleep 300"), _scope.Name("kill"), ct);
        await Client.Containers.StartAsync(created.Id, ct);
        var top = await Client.Containers.TopAsync(created.Id, cancellationToken: ct);

        await Client.Containers.KillAsync(created.Id, "SIGTERM", ct);
        var result = await Client.Containers.WaitAsync(created.Id, cancellationToken: ct);

        Assert.Contains(top.Processes!, p => p.Any(column => column.Contains("sleep 300", StringComparison.Ordinal)));
        Assert.Equal(128 + 15, result.StatusCode);
        var error = await Assert.ThrowsAsync<DockerConflictException>(() => Client.Containers.KillAsync(created.Id, "SIGKILL", ct));
        Assert.Contains(TestEngine.IsPodman ? "can only kill running containers" : "is not running", error.EngineMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_RunningThenStopped_ReturnsTrueThenFalse()
    {
        var ct = EngineTestScope.Deadline();
        var created = await Client.Containers.CreateAsync(Sandbox.Hardened(_scope, "exec sleep 300"), _scope.Name("stop"), ct);
        Assert.True(await Client.Containers.StartAsync(created.Id, ct));
        Assert.False(await Client.Containers.StartAsync(created.Id, ct));

        Assert.True(await Client.Containers.StopAsync(created.Id, TimeSpan.FromSeconds(5), ct));
        Assert.False(await Client.Containers.StopAsync(created.Id, TimeSpan.FromSeconds(5), ct));

        var inspect = await Client.Containers.InspectAsync(created.Id, ct);
        Assert.False(inspect.State!.Running);
    }

    [Fact]
    public async Task RemoveAsync_RunningWithForce_ContainerIsGone()
    {
        var ct = EngineTestScope.Deadline();
        var created = await Client.Containers.CreateAsync(Sandbox.Hardened(_scope, "exec sleep 300"), _scope.Name("rm"), ct);
        await Client.Containers.StartAsync(created.Id, ct);

        await Assert.ThrowsAsync<DockerConflictException>(() => Client.Containers.RemoveAsync(created.Id, cancellationToken: ct));
        var filters = new DockerFilters().Add("type", DockerEventTypes.Container).Add("event", DockerEventActions.Die).Label(EngineTestScope.ScopeLabel, _scope.Id);
        await using var events = await Client.Events.SubscribeAsync(new EventsParameters { Filters = filters }, ct);
        await Client.Containers.RemoveAsync(created.Id, force: true, removeVolumes: true, ct);

        Assert.Null(await Client.Containers.TryInspectAsync(created.Id, ct));
        // Killed at once (SIGKILL, 137) on both engines; Podman on its own would stop it with SIGTERM first (143).
        await foreach (var die in events.ReadAllAsync(ct))
        {
            Assert.Equal(created.Id, die.Actor!.Id);
            Assert.Equal("137", die.Actor.Attributes!["exitCode"]);
            break;
        }
    }

    [Fact]
    public async Task InspectAsync_UnknownContainer_ThrowsNotFoundWithEngineMessage()
    {
        var name = _scope.Name("does-not-exist");

        var error = await Assert.ThrowsAsync<DockerNotFoundException>(() => Client.Containers.InspectAsync(name, EngineTestScope.Deadline()));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("No such container", error.EngineMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(name, error.EngineMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_NameInUse_ThrowsConflict()
    {
        var ct = EngineTestScope.Deadline();
        await Client.Containers.CreateAsync(Sandbox.Hardened(_scope, "true"), _scope.Name("dup"), ct);

        var error = await Assert.ThrowsAsync<DockerConflictException>(
            () => Client.Containers.CreateAsync(Sandbox.Hardened(_scope, "true"), _scope.Name("dup"), ct));

        Assert.Contains("already in use", error.EngineMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListAsync_ByScopeLabel_ReturnsOnlyThisTestsContainers()
    {
        var ct = EngineTestScope.Deadline();
        var a = await Client.Containers.CreateAsync(Sandbox.Hardened(_scope, "true"), _scope.Name("a"), ct);
        var b = await Client.Containers.CreateAsync(Sandbox.Hardened(_scope, "true"), _scope.Name("b"), ct);

        var list = await Client.Containers.ListAsync(new ContainerListParameters { Filters = DockerFilters.ByLabel(EngineTestScope.ScopeLabel, _scope.Id) }, ct);
        var running = await Client.Containers.ListAsync(new ContainerListParameters { All = false, Filters = DockerFilters.ByLabel(EngineTestScope.ScopeLabel, _scope.Id) }, ct);

        Assert.Equal(new[] { a.Id, b.Id }.Order(), list.Select(c => c.Id).Order());
        Assert.All(list, c => Assert.Equal("created", c.State));
        Assert.Empty(running);
    }

    [Fact]
    public async Task CreateAsync_SeccompProfile_IsEnforced()
    {
        var ct = EngineTestScope.Deadline();
        const string json = """{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}""";
        // dockerd takes the profile inline; Podman's compatible service reads seccomp= as a path on its host.
        using var directory = new TempDirectory("nbgw-seccomp");
        var profile = json;
        if (TestEngine.IsPodman)
        {
            profile = directory.Combine("profile.json");
            await File.WriteAllTextAsync(profile, json, ct);
        }

        var hostConfig = Sandbox.HardenedHostConfig(securityOpt: ["no-new-privileges", "seccomp=" + profile]);

        var (id, exitCode) = await Sandbox.RunToExitAsync(_scope, Sandbox.Hardened(_scope, "mkdir /tmp/d", hostConfig), "seccomp", ct);
        var logs = await Client.Containers.GetLogsAsync(id, cancellationToken: ct);
        var inspect = await Client.Containers.InspectAsync(id, ct);

        Assert.Equal(1, exitCode);
        Assert.Contains("Operation not permitted", logs.Stderr, StringComparison.Ordinal);
        Assert.Contains("seccomp=" + profile, inspect.HostConfig!.SecurityOpt!);
    }
}
