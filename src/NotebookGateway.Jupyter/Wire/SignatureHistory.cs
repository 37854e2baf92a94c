using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NotebookGateway.Jupyter.Wire;

/// <summary>
/// A bounded set of recently seen signatures; the oldest is forgotten first. Each is kept as 128 bits of its SHA-256
/// (16 bytes instead of a 64-character string), so a full history of a kernel channel costs about 3 MiB, not 12.
/// </summary>
internal sealed class SignatureHistory(int capacity)
{
    private readonly RecentSet<UInt128> _seen = new(capacity);

    /// <summary>False when the signature was already seen (a replay).</summary>
    public bool TryAdd(ReadOnlySpan<byte> signature)
    {
        if (capacity <= 0 || signature.IsEmpty)
        {
            return true;
        }
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(signature, digest);
        return _seen.Add(BinaryPrimitives.ReadUInt128LittleEndian(digest));
    }
}
