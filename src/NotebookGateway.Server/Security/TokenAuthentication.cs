using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace NotebookGateway.Server.Security;

/// <summary>
/// Maps <c>Authorization: token &lt;t&gt;</c> or <c>?token=</c> (the query wins, as in Kernel Gateway) to a user.
/// Tokens are compared as SHA-256 hashes in constant time against every user, so neither timing nor the
/// order of the list tells anything. OPTIONS passes without a token so CORS preflight works.
/// </summary>
public sealed class TokenAuthentication
{
    private readonly (string User, byte[] Hash)[] _users;

    /// <param name="defaultToken">The token of the built-in <see cref="GatewayUser.DefaultName"/> user (Gateway:Token).</param>
    /// <param name="users">Further users with their token hashes (the Users section).</param>
    public TokenAuthentication(string defaultToken, IEnumerable<UserOptions>? users = null)
    {
        Token = defaultToken;
        _users = [(GatewayUser.DefaultName, Hash(defaultToken)),
            .. (users ?? []).Select(u => (u.Name, Convert.FromHexString(u.TokenSha256)))];
    }

    /// <summary>The default user's token (printed at start).</summary>
    public string Token { get; }

    public bool IsAuthorized(HttpRequest request) => Authenticate(request) is not null;

    /// <summary>The user the presented token belongs to, or null.</summary>
    public string? Authenticate(HttpRequest request)
    {
        string? presented = PresentedToken(request);
        if (presented is null)
        {
            return null;
        }
        byte[] hash = Hash(presented);
        string? match = null;
        foreach ((string user, byte[] expected) in _users)
        {
            if (CryptographicOperations.FixedTimeEquals(expected, hash))
            {
                match ??= user; // keep looping: the time does not depend on the position
            }
        }
        return match;
    }

    public static string? PresentedToken(HttpRequest request)
    {
        if (request.Query.TryGetValue("token", out StringValues query) && !StringValues.IsNullOrEmpty(query))
        {
            return query.ToString();
        }
        string? header = request.Headers.Authorization;
        if (header is not null && header.StartsWith("token ", StringComparison.OrdinalIgnoreCase))
        {
            return header["token ".Length..].Trim();
        }
        return null;
    }

    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static string HashHex(string token) => Convert.ToHexStringLower(Hash(token));
}
