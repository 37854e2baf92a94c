using System.Formats.Tar;

namespace NotebookGateway.Docker.Tests.Support;

/// <summary>
/// The integration tests' image: the host's static busybox in an in-memory tar, imported through the client
/// under test (no registry is reachable here).
/// </summary>
internal static class BusyboxImage
{
    public const string Repository = "notebookgateway-test/busybox";
    public const string Tag = "latest";
    public const string Reference = Repository + ":" + Tag;
    public const string ImageLabel = "org.notebookgateway.test.image";
    public const string HostBusybox = "/bin/busybox";

    private static readonly string[] Applets =
    [
        "sh", "cat", "echo", "head", "tail", "tr", "yes", "sleep", "seq", "mkdir", "touch", "id", "ls", "true", "false", "kill", "ps",
    ];

    /// <summary>
    /// Whether <paramref name="repoTags"/> names <paramref name="reference"/>; Podman lists loaded images under
    /// <c>localhost/</c> and imported ones under <c>docker.io/</c>.
    /// </summary>
    public static bool Names(IEnumerable<string>? repoTags, string reference = Reference) =>
        repoTags?.Any(t => t == reference || t == "localhost/" + reference || t == "docker.io/" + reference) == true;

    /// <summary>Imports the image unless it is already there (idempotent across runs).</summary>
    public static async Task EnsureAsync(DockerClient client, CancellationToken cancellationToken = default)
    {
        var existing = await client.Images.TryInspectAsync(Reference, cancellationToken);
        if (existing?.Config?.Labels?.ContainsKey(ImageLabel) == true)
        {
            return;
        }

        using var tar = BuildRootfsTar();
        await client.Images.ImportAsync(tar, Repository, Tag, [$"LABEL {ImageLabel}=busybox", """CMD ["/bin/sh"]"""], cancellationToken);
    }

    public static MemoryStream BuildRootfsTar()
    {
        if (!File.Exists(HostBusybox))
        {
            throw new InvalidOperationException(
                $"{HostBusybox} is missing: the Docker integration tests build their image from the host's static busybox. " +
                "Install it with `apt-get install -y busybox-static`.");
        }

        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            const UnixFileMode dir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            foreach (var name in new[] { "bin/", "etc/", "proc/", "sys/", "dev/", "work/" })
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = dir });
            }

            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tmp/")
            {
                Mode = dir | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.StickyBit,
            });

            using (var busybox = File.OpenRead(HostBusybox))
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = dir, DataStream = busybox });
            }

            foreach (var applet in Applets)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, $"bin/{applet}") { LinkName = "busybox", Mode = dir });
            }

            using var passwd = new MemoryStream("root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"u8.ToArray());
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/passwd")
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                DataStream = passwd,
            });
        }

        tar.Position = 0;
        return tar;
    }
}
