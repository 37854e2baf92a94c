using Microsoft.AspNetCore.Http;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Tests.Security;

public sealed class TokenAuthenticationTests
{
    private static HttpRequest Request(string? header = null, string? query = null, string queryName = "token")
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers.Authorization = header;
        }
        if (query is not null)
        {
            context.Request.QueryString = new QueryString($"?{queryName}=" + Uri.EscapeDataString(query));
        }
        return context.Request;
    }

    [Fact]
    public void Authenticate_EachTokenMapsToItsUser_UnknownOrMissingIsNull()
    {
        var auth = new TokenAuthentication("default-token-0123456789", [
            new UserOptions { Name = "alice", TokenSha256 = TokenAuthentication.HashHex("alice-token") },
            new UserOptions { Name = "bob", TokenSha256 = TokenAuthentication.HashHex("bob-token") },
        ]);

        Assert.Equal("alice", auth.Authenticate(Request("token alice-token")));
        Assert.Equal("bob", auth.Authenticate(Request(query: "bob-token")));
        Assert.Equal(GatewayUser.DefaultName, auth.Authenticate(Request("token default-token-0123456789")));
        Assert.Equal("bob", auth.Authenticate(Request("token alice-token", "bob-token"))); // the query wins
        Assert.Null(auth.Authenticate(Request("token nobody")));
        Assert.Null(auth.Authenticate(Request("Basic alice-token")));
        Assert.Null(auth.Authenticate(Request()));
    }

    [Fact]
    public void Authenticate_AcceptsWhatSignalRClientsSend_BearerHeaderAndAccessTokenQuery()
    {
        var auth = new TokenAuthentication("default-token-0123456789", [
            new UserOptions { Name = "alice", TokenSha256 = TokenAuthentication.HashHex("alice-token") },
        ]);

        Assert.Equal("alice", auth.Authenticate(Request("Bearer alice-token")));
        Assert.Equal("alice", auth.Authenticate(Request("bearer alice-token")));
        Assert.Equal("alice", auth.Authenticate(Request(query: "alice-token", queryName: "access_token")));
        Assert.Equal("alice", auth.Authenticate(Request("Bearer nobody", "alice-token", "access_token"))); // the query wins
        Assert.Null(auth.Authenticate(Request("Bearer nobody")));
        Assert.Null(auth.Authenticate(Request(query: "nobody", queryName: "access_token")));
    }

    [Fact]
    public void UsersValidator_ListsEveryProblem()
    {
        string hash = TokenAuthentication.HashHex("t");
        IReadOnlyList<string> errors = UsersValidator.Validate([
            new UserOptions { Name = "ok", TokenSha256 = hash },
            new UserOptions { Name = "ok", TokenSha256 = TokenAuthentication.HashHex("u") },
            new UserOptions { Name = "../evil", TokenSha256 = "not-hex" },
            new UserOptions { Name = "default", TokenSha256 = hash },
        ]);

        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.Contains("Users:1:Name 'ok' is used twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Users:2:Name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Users:2:TokenSha256", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Users:3:Name 'default'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Users:3:TokenSha256 is the same", StringComparison.Ordinal));
    }
}
