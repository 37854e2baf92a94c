using NotebookGateway.Bridge.Kernel;
using NotebookGateway.Testing;

namespace NotebookGateway.Bridge.Tests.Kernel;

public sealed class RestartHandoffTests
{
    private static readonly Uri Gateway = new("http://127.0.0.1:8888/");

    [Fact]
    public void Record_IsReadBackOnlyForTheSameConnectionKeyGatewayAndSpec()
    {
        using var directory = new TempDirectory("handoff");
        string connection = directory.Combine("kernel-1.json");
        File.WriteAllText(connection, "{}");
        new RestartHandoff(connection, "key").Save("kernel-id", Gateway, "python3");

        Assert.Equal("kernel-id", new RestartHandoff(connection, "key").Load(Gateway, "python3")?.KernelId);
        Assert.Null(new RestartHandoff(connection, "another key").Load(Gateway, "python3"));
        Assert.Null(new RestartHandoff(connection, "key").Load(new Uri("http://127.0.0.1:9999/"), "python3"));
        Assert.Null(new RestartHandoff(connection, "key").Load(Gateway, "ir"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(new RestartHandoff(connection, "key").Path));
    }

    [Fact]
    public void SweepStale_RemovesRecordsWhoseConnectionFileIsGone()
    {
        using var directory = new TempDirectory("handoff");
        string kept = directory.Combine("kernel-kept.json");
        string gone = directory.Combine("kernel-gone.json");
        File.WriteAllText(kept, "{}");
        new RestartHandoff(kept, "k").Save("a", Gateway, "python3");
        new RestartHandoff(gone, "k").Save("b", Gateway, "python3");

        Assert.Equal(1, RestartHandoff.SweepStale(directory.Path));
        Assert.True(File.Exists(new RestartHandoff(kept, "k").Path));
        Assert.False(File.Exists(new RestartHandoff(gone, "k").Path));
    }
}
