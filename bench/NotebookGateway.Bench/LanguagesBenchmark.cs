using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NotebookGateway.Docker;

namespace NotebookGateway.Bench;

/// <summary>
/// <c>languages</c>: per kernelspec of the repository, through a real gateway: image size, kernel start (POST
/// /api/kernels until it answers, which is after the kernel's kernel_info_reply), the execute round trip of a trivial
/// cell, and the idle kernel's memory in its container's cgroup (the gateway's sandbox_memory_bytes). For the
/// compiled languages also hello-world compile+run through the kernel against the same compiler and program run
/// directly in the same container (a shell loop inside it, timed there), whose difference is the kernel's overhead.
/// </summary>
internal static class LanguagesBenchmark
{
    /// <summary>A trivial cell per language (compiled ones: a whole hello-world program).</summary>
    private static readonly Dictionary<string, string> Trivial = new(StringComparer.Ordinal)
    {
        ["python3"] = "1",
        ["python3-datascience"] = "1",
        ["ir"] = "1",
        ["javascript"] = "1",
        ["bash"] = "true",
        ["octave"] = "1;",
        ["c"] = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }",
        ["cpp"] = "#include <iostream>\nint main() { std::cout << \"hello\" << std::endl; }",
        ["rust"] = "fn main() { println!(\"hello\"); }",
        ["go"] = "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hello\") }",
        ["java"] = "public class Main { public static void main(String[] a) { System.out.println(\"hello\"); } }",
    };

    /// <summary>The compile and run commands of nbgw_kernels/languages.py, for a source file in the current directory.</summary>
    private static readonly Dictionary<string, (string File, string Command)> Direct = new(StringComparer.Ordinal)
    {
        ["c"] = ("cell.c", "gcc -std=c17 -O2 -Wall -pipe -o program cell.c -lm && ./program"),
        ["cpp"] = ("cell.cpp", "g++ -std=c++17 -O2 -Wall -pipe -o program cell.cpp && ./program"),
        ["rust"] = ("cell.rs", "rustc --edition=2021 -O -C debuginfo=0 -o program cell.rs && ./program"),
        ["go"] = ("cell.go", "CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -o program cell.go && ./program"),
        ["java"] = ("Main.java", "javac -encoding UTF-8 -d . Main.java && java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp . Main"),
    };

    public static async Task<int> RunAsync(string repositoryRoot, int starts, int runs, int compiles, string? only)
    {
        List<(string Name, string Image)> specs = [];
        foreach (string directory in Directory.EnumerateDirectories(Path.Combine(repositoryRoot, "kernelspecs")).Order(StringComparer.Ordinal))
        {
            using JsonDocument spec = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "kernel.json")));
            string name = Path.GetFileName(directory);
            if (only is null || only.Split(',').Contains(name))
            {
                specs.Add((name, spec.RootElement.GetProperty("metadata").GetProperty("notebookgateway").GetProperty("image").GetString()!));
            }
        }

        await using BenchServer gateway = await BenchServer.StartGatewayAsync(repositoryRoot, new Dictionary<string, string>
        {
            ["NBGW_Metrics__RequireToken"] = "false",
        });
        Console.WriteLine($"gateway: {gateway.Description}");
        using var rest = new KernelRest(gateway.BaseUri, gateway.Token);
        using var docker = new DockerClient();
        using var http = new HttpClient();
        var live = new List<string>();
        var rows = new List<string>();
        var compiledRows = new List<string>();
        try
        {
            foreach ((string spec, string image) in specs)
            {
                long size = (await docker.Images.TryInspectAsync(image))?.Size ?? 0;
                await rest.DeleteKernelAsync(await rest.StartKernelAsync(live, spec), live); // first start of the image: page cache, self-test
                var startTimes = new double[starts];
                for (int i = 0; i < starts; i++)
                {
                    long begin = Stopwatch.GetTimestamp();
                    string id = await rest.StartKernelAsync(live, spec);
                    startTimes[i] = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                    await rest.DeleteKernelAsync(id, live);
                }

                string kernel = await rest.StartKernelAsync(live, spec);
                await using ChannelSocket socket = await ChannelSocket.ConnectAsync(gateway.BaseUri, gateway.Token, kernel);
                await socket.KernelInfoAsync(Limits.KernelStart);
                bool compiled = Direct.ContainsKey(spec);
                int executes = compiled ? compiles : runs;
                var executeTimes = new double[executes];
                for (int i = -3; i < executes; i++)
                {
                    // A new program text each time for the compiled ones (nothing may be reused between cells).
                    string code = compiled ? Trivial[spec] + $"\n// {i}\n" : Trivial[spec];
                    long begin = Stopwatch.GetTimestamp();
                    await socket.ExecuteAsync(code, Limits.Step);
                    if (i >= 0)
                    {
                        executeTimes[i] = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                    }
                }

                // Idle for a moment, then the container's memory as the gateway reads it from its cgroup.
                await Task.Delay(TimeSpan.FromSeconds(3));
                string metrics = await http.GetStringAsync(new Uri(gateway.BaseUri, "metrics"));
                double memory = MetricValue(metrics, "sandbox_memory_bytes", kernel);

                rows.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {spec} | {size / 1e6:0} MB | {Stats.Percentile(startTimes, 50):0} / {Stats.Percentile(startTimes, 90):0} ms | {Stats.Percentile(executeTimes, 50):0.0} / {Stats.Percentile(executeTimes, 99):0.0} ms{(compiled ? " (compile+run)" : "")} | {memory / (1 << 20):0.0} MiB |"));
                Console.WriteLine(rows[^1]);

                if (compiled)
                {
                    double[] direct = await DirectCompileRunAsync(docker, kernel, spec, compiles);
                    double overhead = Stats.Percentile(executeTimes, 50) - Stats.Percentile(direct, 50);
                    compiledRows.Add(string.Create(CultureInfo.InvariantCulture,
                        $"| {spec} | {Stats.Percentile(executeTimes, 50):0} ms | {Stats.Percentile(direct, 50):0} ms | {overhead:0} ms |"));
                    Console.WriteLine(compiledRows[^1]);
                }
                await rest.DeleteKernelAsync(kernel, live);
            }
        }
        finally
        {
            foreach (string id in live.ToList())
            {
                await rest.DeleteKernelAsync(id, live, throwOnFailure: false);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| spec | image | start p50 / p90 ({starts} starts) | execute p50 / p99 ({runs} runs; compiled: {compiles}) | idle memory (cgroup) |");
        Console.WriteLine("|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine($"| compiled hello world, p50 of {compiles} | through the kernel (client round trip) | compiler + program directly in the container | overhead |");
        Console.WriteLine("|---|---|---|---|");
        compiledRows.ForEach(Console.WriteLine);
        return 0;
    }

    /// <summary>Compile+run of the trivial program <paramref name="runs"/> times inside the kernel's own container, as its user, timed in there.</summary>
    private static async Task<double[]> DirectCompileRunAsync(DockerClient docker, string kernelId, string spec, int runs)
    {
        var containers = await docker.Containers.ListAsync(new Docker.Containers.ContainerListParameters
        {
            Filters = new Docker.Models.DockerFilters().Label("org.notebookgateway.kernel", kernelId),
        });
        string container = containers.Single().Id;
        string user = (await docker.Containers.InspectAsync(container)).Config?.User ?? "";
        (string file, string command) = Direct[spec];
        string source = Trivial[spec].Replace("'", "'\\''", StringComparison.Ordinal);
        // Each run a new program text, as through the kernel (Go would otherwise take the whole build from its cache).
        string script = $"""
            set -e; d=$(mktemp -d /tmp/direct.XXXXXX); cd "$d"; export GOCACHE=/tmp/go-cache HOME=/tmp
            for i in $(seq 0 {runs + 2}); do
              printf '%s\n// %d\n' '{source}' "$i" > {file}
              s=$(date +%s%N); {command} > /dev/null; e=$(date +%s%N)
              [ "$i" -lt 3 ] || echo $(( (e - s) / 1000 ))
            done
            """;
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "exec", "-u", user, container, "sh", "-c", script })
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync();
        string errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"direct compile in {spec} failed: {errors}");
        }
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l, CultureInfo.InvariantCulture) / 1000).ToArray();
    }

    private static double MetricValue(string exposition, string name, string kernelId)
    {
        foreach (string line in exposition.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains($"kernel_id=\"{kernelId}\"", StringComparison.Ordinal))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return double.NaN;
    }
}
