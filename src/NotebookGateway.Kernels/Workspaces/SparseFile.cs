using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using NotebookGateway.Kernels.Interop;

namespace NotebookGateway.Kernels.Workspaces;

/// <summary>
/// Copies a sparse file by its data extents (<c>SEEK_DATA</c>/<c>SEEK_HOLE</c>, <c>copy_file_range</c>), leaving the
/// holes holes: a fresh 256 MiB ext4 image has about 300 KiB of data, copied in under a millisecond (File.Copy would
/// write all 256 MiB). Hand-written: .NET has no sparse-aware copy.
/// </summary>
internal static unsafe class SparseFile
{
    /// <summary>Copies <paramref name="source"/> into the empty <paramref name="destination"/>, which takes its length.</summary>
    /// <exception cref="IOException">A read, seek or copy failed.</exception>
    public static void Copy(SafeFileHandle source, SafeFileHandle destination)
    {
        var length = RandomAccess.GetLength(source);
        RandomAccess.SetLength(destination, length);
        var input = (int)source.DangerousGetHandle();
        var output = (int)destination.DangerousGetHandle();
        long offset = 0;
        while (offset < length)
        {
            var data = LibC.LSeek(input, offset, LibC.SEEK_DATA);
            if (data < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == 6) // ENXIO: no data after offset
                {
                    return;
                }

                throw new IOException("lseek(SEEK_DATA): " + LibC.Describe(errno));
            }

            var hole = LibC.LSeek(input, data, LibC.SEEK_HOLE);
            if (hole < 0)
            {
                throw new IOException("lseek(SEEK_HOLE): " + LibC.Describe(Marshal.GetLastPInvokeError()));
            }

            long from = data, to = data;
            while (from < hole)
            {
                var copied = LibC.CopyFileRange(input, &from, output, &to, (nuint)(hole - from), 0);
                if (copied <= 0)
                {
                    throw new IOException("copy_file_range: " + (copied == 0 ? "the source ended early" : LibC.Describe(Marshal.GetLastPInvokeError())));
                }
            }

            offset = hole;
        }
    }
}
