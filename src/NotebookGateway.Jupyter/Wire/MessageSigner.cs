using System.Security.Cryptography;
using System.Text;

namespace NotebookGateway.Jupyter.Wire;

/// <summary>
/// HMAC-SHA256 over the exact bytes of header, parent_header, metadata and content, as lowercase hex.
/// An empty key disables signing, as the spec allows; the gateway always generates a key.
/// </summary>
public sealed class MessageSigner
{
    public const string Scheme = "hmac-sha256";
    private const int HashBytes = 32;
    private readonly byte[] _key;

    public MessageSigner(ReadOnlySpan<byte> key, string signatureScheme = Scheme)
    {
        if (!string.Equals(signatureScheme, Scheme, StringComparison.Ordinal))
        {
            throw new NotSupportedException($"Signature scheme '{signatureScheme}' is not supported; use '{Scheme}'.");
        }
        _key = key.ToArray();
    }

    public MessageSigner(string key, string signatureScheme = Scheme) : this(Encoding.UTF8.GetBytes(key), signatureScheme)
    {
    }

    public bool IsEnabled => _key.Length > 0;

    /// <summary>Returns the signature as ASCII hex bytes (empty when signing is disabled).</summary>
    public byte[] Sign(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (!IsEnabled)
        {
            return [];
        }
        Span<byte> hash = stackalloc byte[HashBytes];
        Compute(header, parent, metadata, content, hash);
        byte[] hex = new byte[HashBytes * 2];
        Convert.TryToHexStringLower(hash, hex, out _);
        return hex;
    }

    /// <summary>Constant-time check of a received hex signature.</summary>
    public bool Verify(ReadOnlySpan<byte> signatureHex, ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (!IsEnabled)
        {
            return true;
        }
        if (signatureHex.Length != HashBytes * 2)
        {
            return false;
        }
        Span<byte> received = stackalloc byte[HashBytes];
        if (Convert.FromHexString(Encoding.ASCII.GetString(signatureHex), received, out _, out int written) != System.Buffers.OperationStatus.Done || written != HashBytes)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[HashBytes];
        Compute(header, parent, metadata, content, expected);
        return CryptographicOperations.FixedTimeEquals(received, expected);
    }

    /// <summary>A fresh 256-bit key as 64 hex characters, for a new kernel start.</summary>
    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(HashBytes));

    private void Compute(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(header);
        hmac.AppendData(parent);
        hmac.AppendData(metadata);
        hmac.AppendData(content);
        hmac.GetHashAndReset(destination);
    }
}
