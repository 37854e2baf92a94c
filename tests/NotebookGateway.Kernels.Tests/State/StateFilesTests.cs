using System.Text;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.State;

namespace NotebookGateway.Kernels.Tests.State;

/// <summary>The sealed state files: what was written reads back; anything changed, moved, linked or left half-written does not.</summary>
public sealed class StateFilesTests : IDisposable
{
    private readonly TempDirectory _root = new("nbgw-state-test");

    private string Folder => _root.Combine("kernels");

    [Fact]
    public void Write_ReadsBackVerbatim_RootOnlyFiles()
    {
        var files = new StateFiles(_root.Path);
        files.Write("kernels", "k-1", "{\"a\":1}"u8);
        files.Write("kernels", "k-1", "{\"a\":2}"u8); // replaced atomically

        var read = Assert.Single(files.ReadAll("kernels"));

        Assert.Null(read.Problem);
        Assert.Equal("{\"a\":2}", Encoding.UTF8.GetString(read.Body.Span));
        Assert.Equal(0b110_000_000u, NoFollow.TryStat(Path.Combine(Folder, "k-1"))!.Value.Permissions);
        Assert.Equal(0b110_000_000u, NoFollow.TryStat(_root.Combine("seal.key"))!.Value.Permissions);
        Assert.Equal(0b111_000_000u, NoFollow.TryStat(Folder)!.Value.Permissions);
        Assert.Equal(["k-1"], Directory.EnumerateFiles(Folder).Select(Path.GetFileName));
    }

    [Fact]
    public void EditedTruncatedOrMovedFile_IsReportedNotRead()
    {
        var files = new StateFiles(_root.Path);
        foreach (var name in new[] { "edited", "truncated", "moved" })
        {
            files.Write("kernels", name, "{\"owner\":\"alice\"}"u8);
        }

        var edited = Path.Combine(Folder, "edited");
        File.WriteAllText(edited, File.ReadAllText(edited).Replace("alice", "mallo", StringComparison.Ordinal));
        var truncated = Path.Combine(Folder, "truncated");
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..20]);
        File.Move(Path.Combine(Folder, "moved"), Path.Combine(Folder, "elsewhere"));

        var read = files.ReadAll("kernels").ToDictionary(f => f.Name);

        Assert.Contains("does not match its seal", read["edited"].Problem, StringComparison.Ordinal);
        Assert.Contains("no state header", read["truncated"].Problem, StringComparison.Ordinal);
        Assert.Contains("does not match its seal", read["elsewhere"].Problem, StringComparison.Ordinal);
        Assert.All(read.Values, f => Assert.True(f.Body.IsEmpty));
    }

    [Fact]
    public void LinkOrForeignFileAtAName_IsNotFollowedOrTrusted()
    {
        var files = new StateFiles(_root.Path);
        files.Write("kernels", "real", "{}"u8);
        File.CreateSymbolicLink(Path.Combine(Folder, "link"), Path.Combine(Folder, "real"));
        var loose = Path.Combine(Folder, "loose");
        File.Copy(Path.Combine(Folder, "real"), loose);
        File.SetUnixFileMode(loose, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var read = files.ReadAll("kernels").ToDictionary(f => f.Name);

        Assert.Null(read["real"].Problem);
        Assert.Contains("without following", read["link"].Problem, StringComparison.Ordinal);
        Assert.Contains("mode 604", read["loose"].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherSealKey_TrustsNothingOfTheFirst()
    {
        new StateFiles(_root.Path).Write("kernels", "k", "{}"u8);
        File.Delete(_root.Combine("seal.key"));

        var read = Assert.Single(new StateFiles(_root.Path).ReadAll("kernels"));

        Assert.Contains("does not match its seal", read.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void InterruptedWrite_LeavesTheEarlierVersion_AndItsTemporaryIsRemoved()
    {
        var files = new StateFiles(_root.Path);
        files.Write("kernels", "k", "{\"v\":1}"u8);
        File.WriteAllText(Path.Combine(Folder, "k.tmp-0123456789ab"), "half a rec");

        var read = Assert.Single(files.ReadAll("kernels"));

        Assert.Equal("{\"v\":1}", Encoding.UTF8.GetString(read.Body.Span));
        Assert.Equal(["k"], Directory.EnumerateFiles(Folder).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("")]
    public void NamesThatAreNotPlainIds_AreRefused(string name) =>
        Assert.Throws<ArgumentException>(() => new StateFiles(_root.Path).Write("kernels", name, "{}"u8));

    public void Dispose() => _root.Dispose();
}
