using System.Globalization;
using System.Text.RegularExpressions;

namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>Drops a process's TCP connections to a port with <c>ss -K</c> (iproute2), as a network failure would.</summary>
internal static partial class Connections
{
    /// <summary>Kills every established connection of <paramref name="pid"/> to 127.0.0.1:<paramref name="port"/>; returns how many.</summary>
    public static async Task<int> KillAsync(int pid, int port)
    {
        string ss = Tools.RequireCommand("ss", "iproute2");
        ProcessRun list = await BridgeCli.RunProcessAsync(ss, ["-tnpH", "state", "established", "dst", $"127.0.0.1:{port}"], null, "/", Timeouts.Short);
        int killed = 0;
        foreach (string line in list.Stdout.Split('\n'))
        {
            Match owner = Owner().Match(line);
            Match ends = Ends().Match(line);
            if (!owner.Success || !ends.Success || int.Parse(owner.Groups["pid"].Value, CultureInfo.InvariantCulture) != pid)
            {
                continue;
            }
            ProcessRun kill = await BridgeCli.RunProcessAsync(ss,
                ["-K", "state", "established", "src", ends.Groups["local"].Value, "dst", ends.Groups["remote"].Value], null, "/", Timeouts.Short);
            Assert.True(kill.ExitCode == 0, $"ss -K failed: {kill.Output}");
            killed++;
        }
        return killed;
    }

    [GeneratedRegex(@"pid=(?<pid>\d+)")]
    private static partial Regex Owner();

    // 127.0.0.1:1234, or [::ffff:127.0.0.1]:1234 on a dual-stack socket.
    [GeneratedRegex(@"(?<local>(?:\[::ffff:)?127\.0\.0\.1\]?:\d+)\s+(?<remote>(?:\[::ffff:)?127\.0\.0\.1\]?:\d+)")]
    private static partial Regex Ends();
}
