using System.Text;
using NotebookGateway.Kernels.Observation;

namespace NotebookGateway.Kernels.Tests.Observation;

public sealed class SeccompAuditRecordTests
{
    private const string Denied = "audit(1796610063.608:13): auid=4294967295 uid=61000 gid=61000 ses=4294967295 pid=20734 comm=\"python3\" "
        + "exe=\"/usr/bin/python3.11\" sig=0 arch=c000003e syscall=101 compat=0 ip=0x7fbc595efb07 code=0x50000";

    [Fact]
    public void AnErrnoRecord_IsADeniedAttempt_WithItsUidPidAndSyscall()
    {
        SeccompAuditRecord record = Parse(Denied)!;
        Assert.Equal(61000u, record.Uid);
        Assert.Equal(20734, record.Pid);
        Assert.Equal(101, record.Syscall);
        Assert.True(record.Denied);
        Assert.Equal("python3", record.Command);
    }

    [Fact]
    public void ALogRecord_IsAnAllowedButLoggedCall()
    {
        SeccompAuditRecord record = Parse(Denied.Replace("syscall=101", "syscall=41", StringComparison.Ordinal).Replace("code=0x50000", "code=0x7ffc0000", StringComparison.Ordinal))!;
        Assert.False(record.Denied);
        Assert.Equal(41, record.Syscall);
    }

    [Theory]
    [InlineData("code=0x7fff0000")] // allowed: never logged by seccomp, but not ours either
    [InlineData("code=0x80000000")] // kill_process
    [InlineData("arch=40000003")]   // i386
    [InlineData("garbage")]
    public void OtherRecords_AreNotSignals(string change)
    {
        string text = change.StartsWith("code=", StringComparison.Ordinal) ? Denied.Replace("code=0x50000", change, StringComparison.Ordinal)
            : change.StartsWith("arch=", StringComparison.Ordinal) ? Denied.Replace("arch=c000003e", change, StringComparison.Ordinal)
            : change;
        Assert.Null(Parse(text));
    }

    [Fact]
    public void AProcessNameThatLooksLikeFields_CannotChangeWhatIsRead()
    {
        // A name with spaces is hex-encoded by the kernel; one without spaces stays one token, whatever it says.
        string text = Denied.Replace("comm=\"python3\"", "comm=\"uid=0\"", StringComparison.Ordinal)
            .Replace("exe=\"/usr/bin/python3.11\"", "exe=\"syscall=999\"", StringComparison.Ordinal);
        SeccompAuditRecord record = Parse(text)!;
        Assert.Equal(61000u, record.Uid);
        Assert.Equal(101, record.Syscall);
        Assert.Equal("uid=0", record.Command);
    }

    private static SeccompAuditRecord? Parse(string text) => SeccompAuditRecord.TryParse(Encoding.UTF8.GetBytes(text));
}
