using System.Globalization;
using System.Runtime.InteropServices;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>
/// The tool that started this kernel, as jupyter_client names it in <c>JPY_PARENT_PID</c> (ipykernel watches it the
/// same way): when that process is gone, nobody will ever shut this kernel down, so the bridge does it itself.
/// </summary>
public static partial class ParentProcess
{
    public const string Variable = "JPY_PARENT_PID";

    /// <summary>The parent to watch, or null when the tool did not say or it is already gone.</summary>
    public static int? FromEnvironment(string? value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 1)
        {
            return null;
        }
        return GetParentId() == pid ? pid : null;
    }

    /// <summary>Our parent is no longer <paramref name="pid"/> (we were re-parented: it exited).</summary>
    public static bool IsGone(int pid) => GetParentId() != pid;

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentId();
}
