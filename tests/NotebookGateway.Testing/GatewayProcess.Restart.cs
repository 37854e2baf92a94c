namespace NotebookGateway.Testing;

/// <summary>A gateway restarted in place: the same owner, host roots, state directory, port and token, as an upgrade or a crash-and-restart would.</summary>
public sealed partial class GatewayProcess
{
    /// <summary>
    /// Ends this process (SIGKILL, or SIGTERM when <paramref name="graceful"/>) and starts the next one on the same
    /// owner, roots, state directory, port and token, with this one's settings plus <paramref name="settings"/>.
    /// This object is then done: stop or dispose the one returned.
    /// </summary>
    public async Task<GatewayProcess> RestartAsync(bool graceful, IReadOnlyDictionary<string, string>? settings = null)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"The gateway exited before the restart (code {_process.ExitCode}).\n{Output}");
        }
        Record(graceful ? "[harness] restart: sending SIGTERM" : "[harness] restart: sending SIGKILL");
        TestLibC.Kill(_process.Id, graceful ? TestLibC.SIGTERM : TestLibC.SIGKILL);
        using (var timeout = new CancellationTokenSource(TestTimeouts.GatewayStop))
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        _process.WaitForExit();
        if (graceful && _process.ExitCode != 0)
        {
            throw new GatewayStopException($"The gateway exited with code {_process.ExitCode} after SIGTERM.\n{Output}");
        }
        Http.Dispose();
        s_live.Remove(gateway: this);

        var merged = new Dictionary<string, string>(_settings, StringComparer.Ordinal);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }
        GatewayProcess next = Launch(merged, predecessor: this);
        _successor = next;
        try
        {
            await next.WaitUntilListeningAsync(TestTimeouts.GatewayStart);
        }
        catch
        {
            await next.DisposeAsync();
            throw;
        }
        return next;
    }
}
