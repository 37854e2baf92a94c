using System.Globalization;
using System.Text.Json;
using NotebookGateway.Docker.Models;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Tests.Security;

/// <summary>
/// What a kernel can and cannot do from inside its sandbox, checked on the shared kernel (none of these break it).
/// Errno values are Linux x86_64: EPERM 1, EMFILE 24, ENOSPC 28, EROFS 30, ENETUNREACH 101.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class SandboxHardeningTests(SandboxEnvironment env)
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task Inspect_KernelContainer_HasTheWholeEnvelopeApplied()
    {
        var kernel = env.SharedKernel;
        var inspect = await env.Docker.Containers.InspectAsync(kernel.ContainerId!);
        var host = inspect.HostConfig!;
        var config = inspect.Config!;

        Assert.Equal("none", host.NetworkMode);
        Assert.True(host.ReadonlyRootfs);
        Assert.True(host.CapAdd is null || host.CapAdd.Count == 0);
        Assert.False(host.Privileged);
        Assert.Contains("no-new-privileges", host.SecurityOpt!);
        var seccomp = Assert.Single(host.SecurityOpt!, o => o.StartsWith("seccomp=", StringComparison.Ordinal))["seccomp=".Length..];
        if (TestEngine.IsPodman)
        {
            // Podman's inspect has no NetworkDisabled, lists the dropped capabilities one by one and names the profile by
            // the root-only copy it read; the kernel's empty CapEff and seccomp mode are asserted inside it (self-test).
            Assert.Contains("SETUID", host.CapDrop!);
            Assert.Contains("NET_RAW", host.CapDrop!);
            Assert.StartsWith(env.StateRoot + "/.profiles/seccomp-", seccomp, StringComparison.Ordinal);
            seccomp = await File.ReadAllTextAsync(seccomp);
        }
        else
        {
            Assert.True(config.NetworkDisabled);
            Assert.Equal(["ALL"], host.CapDrop);
        }

        var expected = await SeccompProfile.LoadAsync(RepositoryPaths.SeccompProfile);
        Assert.Equal(expected.Json, SeccompProfile.Parse(System.Text.Encoding.UTF8.GetBytes(seccomp)).Json);
        Assert.Equal(SandboxEnvironment.PyMemoryMiB * MiB, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(1_000_000_000, host.NanoCpus);
        Assert.Equal(SandboxEnvironment.PyPids, host.PidsLimit);
        // Podman names rlimits as the kernel does (RLIMIT_NOFILE).
        var ulimits = host.Ulimits!.Select(u => (Name: u.Name.Replace("RLIMIT_", "", StringComparison.Ordinal).ToLowerInvariant(), u.Soft, u.Hard)).ToList();
        Assert.Equal(3, ulimits.Count);
        Assert.Contains(("nofile", (long)SandboxEnvironment.PyNofile, (long)SandboxEnvironment.PyNofile), ulimits);
        Assert.Contains(("core", 0L, 0L), ulimits);
        Assert.Contains(("nproc", 4096L, 4096L), ulimits);
        var tmp = host.Tmpfs!["/tmp"].Split(',');
        Assert.Contains($"size={SandboxEnvironment.PyTmpMiB}m", tmp);
        Assert.Contains("noexec", tmp);
        Assert.Contains("nosuid", tmp);
        Assert.Contains("nodev", tmp);
        Assert.Equal(16 * MiB, host.ShmSize);
        Assert.True(host.Init);
        // Podman reports its private IPC namespace as "shareable"; either way the kernel's is not the host's.
        Assert.Equal(TestEngine.IsPodman ? "shareable" : "private", host.IpcMode);
        Assert.NotEqual(new FileInfo("/proc/self/ns/ipc").LinkTarget, new FileInfo($"/proc/{inspect.State!.Pid}/ns/ipc").LinkTarget);
        Assert.StartsWith("ipc:[", new FileInfo($"/proc/{inspect.State.Pid}/ns/ipc").LinkTarget, StringComparison.Ordinal);
        Assert.Equal("no", host.RestartPolicy?.Name);
        Assert.Equal("json-file", host.LogConfig?.Type);

        var uid = kernel.Session.Uid;
        Assert.Equal($"{uid}:{uid}", config.User);
        Assert.NotEqual(0u, uid);
        Assert.Equal("/home/sandbox/work", config.WorkingDir);
        // The kernel, behind the logging seccomp filter: the profile's denied syscalls, inet families logged, AF_PACKET denied.
        Assert.Equal(SyscallSignals.Program, config.Cmd![0]);
        Assert.Contains("101", config.Cmd[1].Split(','), StringComparer.Ordinal); // ptrace
        Assert.Equal(["2,10", "17", "--"], config.Cmd.Skip(2).Take(3));
        Assert.Equal(["python3", "-m", "ipykernel_launcher", "-f", "/kernel/connection.json"], config.Cmd.Skip(5));
        var labels = config.Labels!;
        Assert.Equal(env.Shared.Owner, labels[SandboxLabels.Owner]);
        Assert.Equal(env.Shared.InstanceId, labels[SandboxLabels.Instance]);
        // A warm start: the container was made before the kernel had an id, so it carries its pool placeholder's.
        Assert.True(kernel.WarmStart);
        Assert.StartsWith("pool-", labels[SandboxLabels.Kernel], StringComparison.Ordinal);
        Assert.Equal(kernel.Session.Key, labels[SandboxLabels.Session]);
        Assert.Equal(kernel.Run!.RunId, labels[SandboxLabels.Run]);
        Assert.DoesNotContain(config.Env!, e => e.StartsWith("DOTNET_", StringComparison.Ordinal) || e.StartsWith("HOME=/root", StringComparison.Ordinal));

        var mounts = inspect.Mounts!.ToDictionary(m => m.Destination!);
        Assert.Equal(3, mounts.Count);
        Assert.True(mounts["/kernel/sockets"].ReadWrite);
        Assert.Equal(kernel.Run.Sockets.HostPath, mounts["/kernel/sockets"].Source);
        Assert.False(mounts["/kernel/connection.json"].ReadWrite);
        Assert.Equal(kernel.Run.Sockets.ConnectionFilePath, mounts["/kernel/connection.json"].Source);
        Assert.True(mounts["/home/sandbox/work"].ReadWrite);
        Assert.Equal(kernel.Session.WorkspaceHostPath, mounts["/home/sandbox/work"].Source);
        Assert.All(mounts.Values, m => Assert.Equal("bind", m.Type));
    }

    [Fact]
    public async Task Network_FromInsideTheKernel_OnlyLoopbackAndNoWayOut()
    {
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, """
            import socket, json
            r = {'ifaces': sorted(n for _, n in socket.if_nameindex())}
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(5)
            try:
                s.connect(('1.1.1.1', 53)); r['tcp'] = 0
            except OSError as e:
                r['tcp'] = e.errno
            finally:
                s.close()
            try:
                socket.getaddrinfo('example.com', 80); r['dns'] = 'resolved'
            except socket.gaierror as e:
                r['dns'] = e.errno
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                u.sendto(b'x', ('1.1.1.1', 53)); r['udp'] = 0
            except OSError as e:
                r['udp'] = e.errno
            finally:
                u.close()
            print(json.dumps(r))
            """);

        Assert.Equal(["lo"], r.GetProperty("ifaces").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(101, r.GetProperty("tcp").GetInt32());
        Assert.Equal(JsonValueKind.Number, r.GetProperty("dns").ValueKind);
        Assert.True(r.GetProperty("dns").GetInt32() < 0, "getaddrinfo must fail with an EAI_* code");
        Assert.Equal(101, r.GetProperty("udp").GetInt32());
    }

    [Fact]
    public async Task Identity_FromInsideTheKernel_NonRootSeccompNoNewPrivsNoCapabilities()
    {
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, """
            import os, json, resource
            st = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines() if ':' in l)
            print(json.dumps({'uid': os.getuid(), 'euid': os.geteuid(), 'gid': os.getgid(),
                'seccomp': st['Seccomp'].strip(), 'nnp': st['NoNewPrivs'].strip(), 'capeff': st['CapEff'].strip(),
                'capprm': st['CapPrm'].strip(), 'cwd': os.getcwd(),
                'nofile': resource.getrlimit(resource.RLIMIT_NOFILE), 'core': resource.getrlimit(resource.RLIMIT_CORE)}))
            """);

        var uid = env.SharedKernel.Session.Uid;
        Assert.Equal(uid, r.GetProperty("uid").GetUInt32());
        Assert.Equal(uid, r.GetProperty("euid").GetUInt32());
        Assert.Equal(uid, r.GetProperty("gid").GetUInt32());
        Assert.NotEqual(0u, uid);
        Assert.Equal("2", r.GetProperty("seccomp").GetString());
        Assert.Equal("1", r.GetProperty("nnp").GetString());
        Assert.Equal("0000000000000000", r.GetProperty("capeff").GetString());
        Assert.Equal("0000000000000000", r.GetProperty("capprm").GetString());
        Assert.Equal("/home/sandbox/work", r.GetProperty("cwd").GetString());
        Assert.Equal([SandboxEnvironment.PyNofile, SandboxEnvironment.PyNofile], r.GetProperty("nofile").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([0, 0], r.GetProperty("core").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task RootFilesystem_Writes_FailWithEROFS()
    {
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, """
            import json, sys
            r = {}
            for p, mode in [('/evil', 'w'), ('/etc/evil', 'w'), ('/usr/lib/python3/dist-packages/evil.py', 'w'), ('/home/sandbox/evil', 'w'), ('/kernel/evil', 'w')]:
                try:
                    open(p, mode).close(); r[p] = 0
                except OSError as e:
                    r[p] = e.errno
            try:
                open('/etc/passwd', 'a').close(); existing = 0
            except OSError as e:
                existing = e.errno
            print(json.dumps({'created': r, 'existing': existing}))
            """);

        foreach (var property in r.GetProperty("created").EnumerateObject())
        {
            Assert.True(property.Value.GetInt32() == 30, $"{property.Name}: errno {property.Value.GetInt32()}, expected EROFS (30)");
        }

        // An existing root-owned file fails the permission check (EACCES) before the read-only one.
        Assert.Contains(r.GetProperty("existing").GetInt32(), new[] { 13, 30 });
    }

    [Fact]
    public async Task KernelSurface_NamespacesMountPtraceIoUringKeyctlBpf_FailWithEPERM()
    {
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, """
            import ctypes, json, os, signal, subprocess, time
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            def sc(nr, *args):
                ctypes.set_errno(0)
                rc = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
                return 0 if rc >= 0 else ctypes.get_errno()
            r = {}
            r['unshare(CLONE_NEWUSER)'] = sc(272, 0x10000000)
            r['unshare(CLONE_NEWNS)'] = sc(272, 0x00020000)
            ctypes.set_errno(0)
            r['mount(tmpfs)'] = 0 if libc.mount(b'tmpfs', b'/tmp', b'tmpfs', ctypes.c_ulong(0), None) == 0 else ctypes.get_errno()
            child = os.fork()
            if child == 0:
                time.sleep(30)
                os._exit(0)
            r['ptrace(PTRACE_ATTACH)'] = sc(101, 16, child, 0, 0)
            os.kill(child, signal.SIGKILL); os.waitpid(child, 0)
            r['io_uring_setup'] = sc(425, 4, 0)
            r['keyctl'] = sc(250, 0, -3, 0)
            r['bpf(BPF_MAP_CREATE)'] = sc(321, 0, 0, 0)
            r['perf_event_open'] = sc(298, 0, 0, -1, -1, 0)
            r['userfaultfd'] = sc(323, 0)
            p = subprocess.run(['unshare', '-U', 'true'], capture_output=True, text=True)
            r['unshare -U'] = 1 if p.returncode != 0 and 'Operation not permitted' in p.stderr else 'rc=%d %s' % (p.returncode, p.stderr)
            print(json.dumps(r))
            """);

        foreach (var property in r.EnumerateObject())
        {
            Assert.True(property.Value.ValueKind == JsonValueKind.Number && property.Value.GetInt32() == 1,
                $"{property.Name}: {property.Value}, expected EPERM (1)");
        }
    }

    [Fact]
    public async Task ForeignSyscallAbis_Int80AndX32_AreKilledWithSigsys()
    {
        // Each probe runs in a child of the kernel. int 0x80 = i386 getpid from RWX memory; x32 = getpid with
        // __X32_SYSCALL_BIT. The profile lists only the x86_64 ABI, so the filter kills both with SIGSYS.
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, $$"""
            import json, subprocess, sys
            def run(code):
                p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=30)
                return {'rc': p.returncode, 'out': p.stdout.strip(), 'err': p.stderr[-200:]}
            print(json.dumps({'int80': run({{JsonSerializer.Serialize(Int80Probe)}}), 'x32': run({{JsonSerializer.Serialize(X32Probe)}})}))
            """);

        var x32 = r.GetProperty("x32");
        Assert.True(x32.GetProperty("rc").GetInt32() == -31, $"x32 syscall: expected death by SIGSYS (-31): {x32}");
        var int80 = r.GetProperty("int80");
        var rc = int80.GetProperty("rc").GetInt32();
        if (rc != -31)
        {
            // Only acceptable if this host's kernel offers no i386 entry at all: the same probe, unsandboxed, faults too
            // (a general protection fault at int 0x80 on hosts booted without IA-32 emulation).
            var host = await RunOnHostAsync(Int80Probe);
            Assert.True(rc == -11 && host == 139, $"int 0x80: sandbox rc {rc} ({int80}); host exit {host}. Expected SIGSYS, or SIGSEGV on a host without IA-32 emulation.");
        }
    }

    private const string Int80Probe = """
        import ctypes, mmap
        buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        buf.write(bytes.fromhex('b814000000cd80c3'))
        f = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))
        print('getpid via int 0x80:', f())
        """;

    private const string X32Probe = """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        print('x32 getpid:', libc.syscall(ctypes.c_long(0x40000000 | 39)), ctypes.get_errno())
        """;

    private static async Task<int> RunOnHostAsync(string code)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(LocalIpyKernel.Python, ["-c", code])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Long);
        return process.ExitCode;
    }

    [Fact]
    public async Task ConnectionFile_RewrittenFromInside_FailsWithEROFSAndTheGatewayKeepsItsCopy()
    {
        var kernel = env.SharedKernel;
        var keyBefore = kernel.Connection.Key;
        var r = await SandboxEnvironment.RunJsonAsync(kernel, """
            import json, os
            r = {}
            def attempt(name, fn):
                try:
                    fn(); r[name] = 0
                except OSError as e:
                    r[name] = e.errno
            attempt('write', lambda: open('/kernel/connection.json', 'w').write('{"ip": "/run/docker", "key": "evil"}'))
            attempt('chmod', lambda: os.chmod('/kernel/connection.json', 0o666))
            attempt('rename', lambda: os.rename('/kernel/connection.json', '/kernel/sockets/moved'))
            attempt('unlink', lambda: os.unlink('/kernel/connection.json'))
            print(json.dumps(r))
            """);

        Assert.Equal(30, r.GetProperty("write").GetInt32());
        Assert.Equal(30, r.GetProperty("chmod").GetInt32());
        Assert.NotEqual(0, r.GetProperty("rename").GetInt32());
        Assert.NotEqual(0, r.GetProperty("unlink").GetInt32());
        Assert.Equal(keyBefore, kernel.Connection.Key);
        Assert.Equal(keyBefore, ConnectionInfo.Parse(await File.ReadAllBytesAsync(kernel.Run!.Sockets.ConnectionFilePath)).Key);
        Assert.Equal("still here", await SandboxEnvironment.RunAsync(kernel, "print('still here')"));
    }

    [Fact]
    public async Task Tmp_FilledFromInside_StopsWithENOSPCAtItsSize()
    {
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, FillScript("/tmp/fill"));

        Assert.Equal(28, r.GetProperty("errno").GetInt32());
        Assert.InRange(r.GetProperty("mib").GetInt32(), SandboxEnvironment.PyTmpMiB - 2, SandboxEnvironment.PyTmpMiB);
        Assert.Equal("ok", await SandboxEnvironment.RunAsync(env.SharedKernel, "print('ok')"));
    }

    [Fact]
    public async Task Workspace_FilledFromInside_StopsWithENOSPCAtTheCap()
    {
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, FillScript("/home/sandbox/work/fill"));

        Assert.Equal(28, r.GetProperty("errno").GetInt32());
        Assert.InRange(r.GetProperty("mib").GetInt32(), SandboxEnvironment.PyWorkspaceMiB - 4, SandboxEnvironment.PyWorkspaceMiB);
        var image = new FileInfo(Path.Combine(Path.GetDirectoryName(env.SharedKernel.Session.WorkspaceHostPath)!, "workspace.ext4"));
        Assert.Equal(SandboxEnvironment.PyWorkspaceMiB * MiB, image.Length);
    }

    [Fact]
    public async Task SocketDirectory_FilledFromInside_StopsWithENOSPCAtTheInodeLimit()
    {
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, """
            import json, os
            n, err = 0, None
            try:
                while n < 1000:
                    open('/kernel/sockets/f%d' % n, 'w').close(); n += 1
            except OSError as e:
                err = e.errno
            for i in range(n):
                os.unlink('/kernel/sockets/f%d' % i)
            print(json.dumps({'errno': err, 'files': n}))
            """);

        Assert.Equal(28, r.GetProperty("errno").GetInt32());
        Assert.InRange(r.GetProperty("files").GetInt32(), 1, 64);
    }

    [Fact]
    public async Task FileDescriptors_Exhausted_FailWithEMFILEAtTheNofileLimit()
    {
        var r = await SandboxEnvironment.RunJsonAsync(env.SharedKernel, """
            import json, subprocess, sys
            code = 'import os\nfds = []\ntry:\n    while True: fds.append(os.open("/dev/null", os.O_RDONLY))\nexcept OSError as e:\n    print(e.errno, len(fds))'
            p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
            errno, count = p.stdout.split()
            print(json.dumps({'errno': int(errno), 'count': int(count)}))
            """);

        Assert.Equal(24, r.GetProperty("errno").GetInt32());
        Assert.InRange(r.GetProperty("count").GetInt32(), SandboxEnvironment.PyNofile - 16, SandboxEnvironment.PyNofile - 3);
    }

    [Fact]
    public async Task Interrupt_SignalMode_ReachesTheKernelThroughTheInit()
    {
        var kernel = env.SharedKernel;
        using var cts = new CancellationTokenSource(TestTimeouts.Long);
        var cell = await SleepingCell.StartAsync(kernel.Client, cts.Token);

        await env.Shared.InterruptKernelAsync(kernel.Id);
        var outcome = await cell.WaitAsync(TestTimeouts.Short);

        Assert.Equal("error", outcome.Status);
        Assert.Equal("KeyboardInterrupt", outcome.Reply.GetContentString("ename"));
        Assert.Equal("ok", await SandboxEnvironment.RunAsync(kernel, "print('ok')"));
    }

    [Fact]
    public async Task Workspace_SecondSession_CannotSeeTheFirstSessionsFiles()
    {
        await SandboxEnvironment.RunAsync(env.SharedKernel, "open('/home/sandbox/work/secret-a.txt', 'w').write('a')");
        try
        {
            var r = await SandboxEnvironment.RunJsonAsync(env.OtherKernel, $$"""
                import json, os
                print(json.dumps({'uid': os.getuid(), 'files': os.listdir('/home/sandbox/work'),
                    'host_path_visible': os.path.exists({{JsonSerializer.Serialize(env.SharedKernel.Session.WorkspaceHostPath)}})}))
                """);

            Assert.DoesNotContain("secret-a.txt", r.GetProperty("files").EnumerateArray().Select(e => e.GetString()));
            Assert.False(r.GetProperty("host_path_visible").GetBoolean());
            Assert.NotEqual(env.SharedKernel.Session.Uid, r.GetProperty("uid").GetUInt32());
            Assert.NotEqual(env.SharedKernel.Session.WorkspaceHostPath, env.OtherKernel.Session.WorkspaceHostPath);
        }
        finally
        {
            await SandboxEnvironment.RunAsync(env.SharedKernel, "import os; os.unlink('/home/sandbox/work/secret-a.txt')");
        }
    }

    [Fact]
    public async Task Environment_OnlyTheSpecsAndTheValidatedClientVariables_ReachTheKernel()
    {
        var kernel = await env.Shared.StartKernelAsync(new KernelStartRequest
        {
            SpecName = SandboxEnvironment.Py,
            Environment = new Dictionary<string, string> { ["NBGW_CLIENT_VAR"] = "from the client" },
        });
        try
        {
            var r = await SandboxEnvironment.RunJsonAsync(kernel, """
                import json, os
                init = open('/proc/1/environ', 'rb').read().decode(errors='replace').split('\0')
                print(json.dumps({'client': os.environ.get('NBGW_CLIENT_VAR'), 'names': sorted(os.environ), 'init': sorted(v.split('=', 1)[0] for v in init if v)}))
                """);

            Assert.Equal("from the client", r.GetProperty("client").GetString());
            // The container's environment is the image's, the engine's HOSTNAME, and what the gateway passed: nothing else.
            var image = await env.Docker.Images.InspectAsync(SandboxEnvironment.PythonImage);
            var allowed = image.Config!.Env!.Select(e => e.Split('=', 2)[0]).Append("HOSTNAME").Append("NBGW_CLIENT_VAR").ToHashSet();
            if (TestEngine.IsPodman)
            {
                // Constants Podman sets in every container (container=podman, TERM=xterm); nothing of the host's.
                allowed.UnionWith(["container", "TERM"]);
            }

            var names = r.GetProperty("init").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.All(names, n => Assert.Contains(n, allowed));
            Assert.Contains("NBGW_CLIENT_VAR", names);
        }
        finally
        {
            await env.Shared.ShutdownKernelAsync(kernel.Id);
        }
    }

    private static string FillScript(string path) => string.Create(CultureInfo.InvariantCulture, $$"""
        import json, os
        written, err = 0, None
        chunk = b'\0' * (1 << 20)
        try:
            with open('{{path}}', 'wb') as f:
                while written < (1 << 30):
                    f.write(chunk); f.flush(); os.fsync(f.fileno()); written += len(chunk)
        except OSError as e:
            err = e.errno
        finally:
            if os.path.exists('{{path}}'):
                os.unlink('{{path}}')
        print(json.dumps({'errno': err, 'mib': written >> 20}))
        """);
}
