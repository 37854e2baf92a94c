using NotebookGateway.Kernels.Workspaces;

namespace NotebookGateway.Kernels.Tests.Workspaces;

public sealed class SparseFileTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly TempDirectory _root = new("sparse");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Copy_TwoDataExtentsInAHoleyFile_CopiesTheDataAndTheLengthAndLeavesTheHoles()
    {
        var source = Path.Combine(_root.Path, "source");
        using (var file = File.OpenHandle(source, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.SetLength(file, 64L * MiB);
            RandomAccess.Write(file, Enumerable.Repeat((byte)'a', 8192).ToArray(), 4096);
            RandomAccess.Write(file, Enumerable.Repeat((byte)'b', 4096).ToArray(), 40L * MiB);
        }

        var destination = CopyOf(source);

        Assert.Equal(64L * MiB, new FileInfo(destination).Length);
        using var copy = File.OpenHandle(destination, FileMode.Open, FileAccess.Read);
        Assert.True(Read(copy, 4096, 8192).All(b => b == 'a'));
        Assert.True(Read(copy, 40L * MiB, 4096).All(b => b == 'b'));
        Assert.True(Read(copy, 0, 4096).All(b => b == 0));
        Assert.True(Read(copy, 20L * MiB, 4096).All(b => b == 0));
        Assert.True(Read(copy, (64L * MiB) - 4096, 4096).All(b => b == 0));
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(destination));
    }

    [Fact]
    public void Copy_AFileThatIsAllHole_GivesTheLengthAndNoData()
    {
        var source = Path.Combine(_root.Path, "empty-source");
        using (var file = File.OpenHandle(source, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.SetLength(file, 8L * MiB);
        }

        var destination = CopyOf(source);

        Assert.Equal(8L * MiB, new FileInfo(destination).Length);
        Assert.Equal(new byte[8 * MiB], File.ReadAllBytes(destination));
    }

    private static string CopyOf(string source)
    {
        var destination = source + ".copy";
        using var input = File.OpenHandle(source, FileMode.Open, FileAccess.Read);
        using var output = File.OpenHandle(destination, FileMode.CreateNew, FileAccess.Write);
        SparseFile.Copy(input, output);
        return destination;
    }

    private static byte[] Read(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, int count)
    {
        var buffer = new byte[count];
        Assert.Equal(count, RandomAccess.Read(handle, buffer, offset));
        return buffer;
    }
}
