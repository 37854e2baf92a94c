using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace NotebookGateway.Server.Security;

/// <summary>
/// Maps <c>Authorization: token|Bearer &lt;t&gt;</c> or <c>?token=</c> / <c>?access_token=</c> (the query wins, as in
/// Kernel Gateway) to a user.
/// Tokens are compared as SHA-256 hashes in constant time against every user, so neither timing nor the
/// order of the list tells anything. OPTIONS passes without a token so CORS preflight works.
/// </summary>
public sealed class TokenAuthentication
{
    private static readonly string[] QueryNames = ["token", "access_token"];
    private static readonly string[] HeaderSchemes = ["token ", "Bearer "];
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

    /// <summary>
    /// The token from <c>?token=</c> or <c>?access_token=</c> (what SignalR clients send on websocket and SSE
    /// connections), else from <c>Authorization: token &lt;t&gt;</c> or <c>Authorization: Bearer &lt;t&gt;</c>
    /// (SignalR's negotiate and long polling).
    /// </summary>
    public static string? PresentedToken(HttpRequest request)
    {
        foreach (string name in QueryNames)
        {
            if (request.Query.TryGetValue(name, out StringValues query) && !StringValues.IsNullOrEmpty(query))
            {
                return query.ToString();
            }
        }
        string? header = request.Headers.Authorization;
        if (header is not null)
        {
            foreach (string scheme in HeaderSchemes)
            {
                if (header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
                {
                    return header[scheme.Length..].Trim();
                }
            }
        }
        return null;
    }

    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static string HashHex(string token) => Convert.ToHexStringLower(Hash(token));
}
