namespace NotebookGateway.Kernels.Security;

/// <summary>
/// The sandbox did something the gateway refuses to go along with (a planted link, FIFO or foreign socket where
/// a kernel socket belongs). Always reported as a security event; the kernel start fails.
/// </summary>
public sealed class SandboxSecurityException : Exception
{
    public SandboxSecurityException()
    {
    }

    public SandboxSecurityException(string message) : base(message)
    {
    }

    public SandboxSecurityException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public SandboxSecurityException(string kind, string message) : base(message) => Kind = kind;

    /// <summary>A <see cref="SecurityEventKinds"/> value.</summary>
    public string Kind { get; } = SecurityEventKinds.Other;
}

/// <summary>The <c>kind</c> tag of the <c>security_events</c> counter.</summary>
public static class SecurityEventKinds
{
    /// <summary>A symbolic link where a kernel socket belongs.</summary>
    public const string SocketSymlink = "socket_symlink";

    /// <summary>A FIFO, regular file, directory or device where a kernel socket belongs.</summary>
    public const string SocketNotASocket = "socket_not_a_socket";

    /// <summary>A socket owned by someone other than the session's sandbox uid.</summary>
    public const string SocketWrongOwner = "socket_wrong_owner";

    /// <summary>The in-sandbox self-test found the hardening missing.</summary>
    public const string SelfTestFailed = "self_test_failed";

    /// <summary>A kernel sent a reply, input_request or status for a request that was not outstanding.</summary>
    public const string ForgedMessage = "forged_message";

    public const string Other = "other";

    /// <summary>A state file the gateway wrote was changed, truncated or replaced (not adopted, removed).</summary>
    public const string StateTampered = "state_tampered";

    /// <summary>A kernel's container or sockets no longer matched its stored state at re-adoption (removed).</summary>
    public const string ReadoptRefused = "readopt_refused";

    /// <summary>The egress proxy's socket on the host was not the socket the gateway bound.</summary>
    public const string EgressSocket = "egress_socket";
}
