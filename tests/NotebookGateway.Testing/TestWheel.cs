using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace NotebookGateway.Testing;

/// <summary>
/// A pure-Python wheel made by the test (one module whose <c>VALUE</c> is a fresh token), so a pip run inside a sandbox
/// can only succeed by fetching exactly this file.
/// </summary>
public sealed class TestWheel
{
    public TestWheel(string project = "nbgw-egress-probe", string version = "1.0")
    {
        Project = project;
        Version = version;
        Token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        Bytes = Build();
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Bytes));
    }

    /// <summary>The project name as an index lists it (PEP 503 normalised).</summary>
    public string Project { get; }

    public string Version { get; }

    /// <summary>The importable module's name.</summary>
    public string Module => Project.Replace('-', '_');

    /// <summary>What <c>import module; module.VALUE</c> gives.</summary>
    public string Token { get; }

    public string FileName => $"{Module}-{Version}-py3-none-any.whl";

    public byte[] Bytes { get; }

    public string Sha256 { get; }

    private byte[] Build()
    {
        var distInfo = $"{Module}-{Version}.dist-info";
        var files = new List<(string Path, byte[] Content)>
        {
            ($"{Module}/__init__.py", Encoding.UTF8.GetBytes($"VALUE = '{Token}'\n")),
            ($"{distInfo}/METADATA", Encoding.UTF8.GetBytes($"Metadata-Version: 2.1\nName: {Project}\nVersion: {Version}\nSummary: egress test wheel\n")),
            ($"{distInfo}/WHEEL", Encoding.UTF8.GetBytes("Wheel-Version: 1.0\nGenerator: notebookgateway-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")),
        };
        var record = new StringBuilder();
        foreach (var (path, content) in files)
        {
            var hash = Convert.ToBase64String(SHA256.HashData(content)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            record.Append(path).Append(",sha256=").Append(hash).Append(',').Append(content.Length).Append('\n');
        }

        record.Append(distInfo).Append("/RECORD,,\n");
        files.Add(($"{distInfo}/RECORD", Encoding.UTF8.GetBytes(record.ToString())));
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                using var entry = zip.CreateEntry(path, CompressionLevel.Optimal).Open();
                entry.Write(content);
            }
        }

        return buffer.ToArray();
    }
}
