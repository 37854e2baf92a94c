namespace NotebookGateway.Docker.Transport;

/// <summary>Escapes names for use in URL paths.</summary>
internal static class EnginePath
{
    /// <summary>
    /// Escapes each segment but keeps <c>/</c>: image references such as <c>org/name:tag</c> are matched by the
    /// engine's router as a multi-segment path.
    /// </summary>
    public static string Escape(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return string.Join('/', name.Split('/').Select(Uri.EscapeDataString));
    }
}
