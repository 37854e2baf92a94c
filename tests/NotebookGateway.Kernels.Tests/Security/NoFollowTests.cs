using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Tests.Security;

public sealed class NoFollowTests
{
    [Fact]
    public void DeleteTree_LinksPointingOutside_RemovesOnlyTheLinks()
    {
        using var outside = new TempDirectory("outside");
        File.WriteAllText(outside.Combine("secret"), "keep me");
        Directory.CreateDirectory(outside.Combine("dir"));
        File.WriteAllText(outside.Combine("dir/inner"), "keep me too");
        using var tree = new TempDirectory("tree");
        var root = tree.Combine("victim");
        Directory.CreateDirectory(Path.Combine(root, "nested/deeper"));
        File.CreateSymbolicLink(Path.Combine(root, "to-secret"), outside.Combine("secret"));
        File.CreateSymbolicLink(Path.Combine(root, "nested/to-dir"), outside.Combine("dir"));
        Directory.CreateSymbolicLink(Path.Combine(root, "nested/deeper/to-dir2"), outside.Combine("dir"));
        Assert.Equal(0, TestLibC.Link(outside.Combine("secret"), Path.Combine(root, "hardlink")));
        Assert.Equal(0, TestLibC.MkFifo(Path.Combine(root, "fifo"), 0b110_000_000));

        var failures = NoFollow.DeleteTree(root);

        Assert.Empty(failures);
        Assert.False(Directory.Exists(root));
        Assert.Equal("keep me", File.ReadAllText(outside.Combine("secret")));
        Assert.Equal("keep me too", File.ReadAllText(outside.Combine("dir/inner")));
    }

    [Fact]
    public void DeleteTree_RootIsASymlink_UnlinksItWithoutFollowing()
    {
        using var outside = new TempDirectory("outside");
        File.WriteAllText(outside.Combine("secret"), "keep me");
        using var tree = new TempDirectory("tree");
        var link = tree.Combine("link");
        Directory.CreateSymbolicLink(link, outside.Path);

        Assert.Empty(NoFollow.DeleteTree(link));

        Assert.False(File.Exists(link) || Directory.Exists(link));
        Assert.Equal("keep me", File.ReadAllText(outside.Combine("secret")));
    }

    [Fact]
    public void WriteNewFile_PlantedSymlink_IsNotFollowed()
    {
        using var dir = new TempDirectory("write");
        File.WriteAllText(dir.Combine("target"), "original");
        File.CreateSymbolicLink(dir.Combine("conn.json"), dir.Combine("target"));

        Assert.Throws<IOException>(() => NoFollow.WriteNewFile(dir.Combine("conn.json"), "x"u8, 0b100_000_000, 0, 0));

        Assert.Equal("original", File.ReadAllText(dir.Combine("target")));
    }
}
