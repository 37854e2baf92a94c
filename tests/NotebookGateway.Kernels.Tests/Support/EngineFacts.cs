namespace NotebookGateway.Kernels.Tests.Support;

/// <summary>A test of one engine's own behaviour (dockerd's live-restore, Podman's service): reported as skipped, with the reason, on the other.</summary>
public sealed class EngineFactAttribute : FactAttribute
{
    public EngineFactAttribute(string engine)
    {
        Engine = engine;
        if (!string.Equals(engine, TestEngine.Name, StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"a test of {engine} itself; this run is against {TestEngine.Name}, whose own restart test runs instead";
        }
    }

    public string Engine { get; }
}
