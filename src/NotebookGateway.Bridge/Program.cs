using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using NotebookGateway.Bridge.Gateway;
using NotebookGateway.Bridge.Kernel;
using NotebookGateway.Bridge.Specs;
using NotebookGateway.Jupyter.Connection;

// Socket completions run on the socket engine's own thread instead of hopping to the thread pool: the relay's
// continuations only decode and queue (never block), and every hop costs latency on a busy machine. Read once, at the
// first socket operation, so it is set before anything else.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

// NotebookGateway.Bridge: sandboxed gateway kernels in local Jupyter tools.
//   kernel               what an installed kernelspec's argv runs: one local kernel backed by one gateway kernel
//   kernelspecs install  writes one local kernelspec per gateway kernelspec
var urlOption = new Option<Uri>("--url")
{
    Description = "The gateway's base URL, e.g. http://127.0.0.1:8888/",
    Required = true,
    CustomParser = argument =>
    {
        string text = argument.Tokens.Count == 1 ? argument.Tokens[0].Value : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https")
        {
            return url;
        }
        argument.AddError($"--url must be an absolute http:// or https:// URL (got '{text}').");
        return null;
    },
};
var tokenFileOption = new Option<string?>("--token-file") { Description = "A file holding the gateway token, readable only by its owner (chmod 600). Without it: the NBGW_TOKEN environment variable." };
var leaseOption = new Option<int>("--lease-seconds") { Description = "How long the gateway keeps the kernel after the bridge's connection is gone (a killed bridge leaves nothing behind for longer); also how long a dropped connection is retried.", DefaultValueFactory = _ => 60 };
var workspaceOption = new Option<string?>("--workspace") { Description = "A named gateway workspace for the kernels (default: one per notebook path, or per working directory)." };
var logLevelOption = new Option<LogLevel>("--log-level") { Description = "Log level on stderr.", DefaultValueFactory = _ => DefaultLogLevel() };

var connectionFileOption = new Option<FileInfo>("--connection-file", "-f") { Description = "The connection file the Jupyter tool wrote ({connection_file}).", Required = true };
var specOption = new Option<string>("--spec") { Description = "The gateway kernelspec to start.", Required = true };
var languageOption = new Option<string>("--language") { Description = "The spec's language (answered in kernel_info while the gateway gives no kernel).", DefaultValueFactory = _ => "" };
var maxMessageOption = new Option<long>("--max-message-bytes") { Description = "The largest message relayed either way.", DefaultValueFactory = _ => 64L << 20 };
var pendingOption = new Option<int>("--max-pending-requests") { Description = "Requests awaiting a reply that are remembered.", DefaultValueFactory = _ => 10_000 };
var outboxOption = new Option<int>("--outbox-messages") { Description = "Messages that may wait for the gateway (kernel starting, reconnecting).", DefaultValueFactory = _ => 1_000 };
var startTimeoutOption = new Option<int>("--start-timeout-seconds") { Description = "A kernel start or restart on the gateway.", DefaultValueFactory = _ => 120 };
var requestTimeoutOption = new Option<int>("--request-timeout-seconds") { Description = "Any other call to the gateway.", DefaultValueFactory = _ => 30 };

var kernel = new Command("kernel", "Run one kernel for a Jupyter tool (what an installed kernelspec's argv starts).")
{
    connectionFileOption, urlOption, specOption, tokenFileOption, languageOption, leaseOption, workspaceOption,
    maxMessageOption, pendingOption, outboxOption, startTimeoutOption, requestTimeoutOption, logLevelOption,
};
// jupyter_client appends a kernelspec's extra arguments (nbclient: --HistoryManager...): they belong to the gateway's
// kernel command line, which is the gateway's to choose, so they are ignored (and logged).
kernel.TreatUnmatchedTokensAsErrors = false;
kernel.SetAction((result, cancellationToken) => RunKernelAsync(result));

var userOption = new Option<bool>("--user") { Description = "Install into the user's Jupyter data directory (the default)." };
var prefixOption = new Option<string?>("--prefix") { Description = "Install into PREFIX/share/jupyter/kernels instead." };
var namePrefixOption = new Option<string>("--name-prefix") { Description = "Prepended to each gateway spec name.", DefaultValueFactory = _ => "sandboxed-" };
var displaySuffixOption = new Option<string>("--display-suffix") { Description = "Appended to each display name.", DefaultValueFactory = _ => "" };
var specsOption = new Option<string[]>("--spec") { Description = "Only these gateway specs (repeatable; default: all).", AllowMultipleArgumentsPerToken = true };
var install = new Command("install", "Write one local kernelspec per gateway kernelspec.")
{
    urlOption, tokenFileOption, userOption, prefixOption, namePrefixOption, displaySuffixOption, specsOption, leaseOption, workspaceOption, logLevelOption,
};
install.SetAction((result, cancellationToken) => InstallAsync(result, cancellationToken));
var kernelspecs = new Command("kernelspecs", "Manage the local kernelspecs of a gateway.") { install };

var root = new RootCommand("Sandboxed NotebookGateway kernels in local Jupyter tools.") { kernel, kernelspecs };
// SIGINT and SIGTERM are the kernel's own business (interrupt, shutdown): no default handling by the parser.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

async Task<int> RunKernelAsync(ParseResult result)
{
    InterruptSignal.EnsureHandled();
    using ILoggerFactory loggers = CreateLoggers(result.GetValue(logLevelOption));
    ILogger logger = loggers.CreateLogger("NotebookGateway.Bridge");
    if (result.UnmatchedTokens.Count > 0)
    {
        BridgeLog.IgnoredArguments(logger, string.Join(' ', result.UnmatchedTokens));
    }
    FileInfo connectionFile = result.GetValue(connectionFileOption)!;
    IReadOnlyDictionary<string, string> environment = EnvironmentVariables();
    (string workspace, string workspaceSource) = WorkspaceNames.Resolve(result.GetValue(workspaceOption), environment, Environment.CurrentDirectory);
    var options = new BridgeKernelOptions
    {
        SpecName = result.GetValue(specOption)!,
        Language = result.GetValue(languageOption) ?? "",
        LeaseSeconds = result.GetValue(leaseOption),
        Workspace = workspace,
        KernelEnvironment = environment
            .Where(e => e.Key.StartsWith("KERNEL_", StringComparison.Ordinal) && e.Key is not (WorkspaceNames.WorkspaceVariable or "KERNEL_LEASE_SECONDS"))
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        MaxMessageBytes = result.GetValue(maxMessageOption),
        MaxPendingRequests = result.GetValue(pendingOption),
        OutboxMessages = result.GetValue(outboxOption),
        StartTimeout = TimeSpan.FromSeconds(result.GetValue(startTimeoutOption)),
        RequestTimeout = TimeSpan.FromSeconds(result.GetValue(requestTimeoutOption)),
    };
    IReadOnlyList<string> problems = options.Validate();
    if (problems.Count > 0)
    {
        Console.Error.WriteLine("NotebookGateway bridge: " + string.Join(" ", problems));
        return 2;
    }
    ConnectionInfo connection;
    try
    {
        connection = await ConnectionInfo.LoadAsync(connectionFile.FullName);
    }
    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
    {
        Console.Error.WriteLine($"NotebookGateway bridge: cannot read the connection file {connectionFile.FullName}: {ex.Message}");
        return 2;
    }
    (string? token, string? tokenProblem) = TokenFile.Read(result.GetValue(tokenFileOption), Environment.GetEnvironmentVariable(TokenFile.Variable));
    using var gateway = new GatewayClient(result.GetValue(urlOption)!, token, options.RequestTimeout);
    BridgeLog.Starting(logger, options.SpecName, gateway.BaseUrl, workspace, workspaceSource);

    BridgeKernel bridge;
    try
    {
        bridge = await BridgeKernel.StartAsync(connection, connectionFile.FullName, gateway, options, logger, tokenProblem);
    }
    catch (Exception ex) when (ex is NotebookGateway.Zmq.ZmqException or ArgumentException)
    {
        Console.Error.WriteLine($"NotebookGateway bridge: cannot bind the kernel's channels from {connectionFile.FullName}: {ex.Message}");
        return 1;
    }
    await using (bridge)
    {
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            bridge.OnInterruptSignal();
        });
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _ = bridge.TerminateAsync("SIGTERM");
        });
        using var parentWatch = new CancellationTokenSource();
        Task watching = WatchParentAsync(bridge, parentWatch.Token);
        int code = await bridge.Exit;
        await parentWatch.CancelAsync();
        await watching;
        return code;
    }
}

async Task<int> InstallAsync(ParseResult result, CancellationToken cancellationToken)
{
    using ILoggerFactory loggers = CreateLoggers(result.GetValue(logLevelOption));
    string? prefix = result.GetValue(prefixOption);
    if (prefix is not null && result.GetValue(userOption))
    {
        Console.Error.WriteLine("Give --user or --prefix, not both.");
        return 2;
    }
    Uri url = result.GetValue(urlOption)!;
    string? tokenFile = result.GetValue(tokenFileOption) is { } given ? Path.GetFullPath(given) : null;
    string? environmentToken = Environment.GetEnvironmentVariable(TokenFile.Variable);
    (string? token, string? problem) = TokenFile.Read(tokenFile, environmentToken);
    if (problem is not null)
    {
        Console.Error.WriteLine(problem);
        return 2;
    }
    string dataDirectory = JupyterPaths.UserDataDirectory(Environment.GetEnvironmentVariable);
    if (tokenFile is null && token is not null)
    {
        // From NBGW_TOKEN: kept in an owner-only file of the user's Jupyter data directory, which the kernelspecs name.
        tokenFile = Path.Combine(dataDirectory, "notebookgateway", WorkspaceNames.FromPath("token", url.Host + "-" + url.Port, url.AbsoluteUri) + ".token");
        TokenFile.Write(tokenFile, token);
    }
    string? workspace = result.GetValue(workspaceOption);
    if (workspace is not null && !WorkspaceNames.IsValid(workspace))
    {
        Console.Error.WriteLine($"--workspace must be 1-64 letters, digits, '.', '_' or '-' (got '{workspace}').");
        return 2;
    }
    using var gateway = new GatewayClient(url, token, TimeSpan.FromSeconds(30));
    var request = new InstallRequest
    {
        KernelsDirectory = prefix is not null ? JupyterPaths.PrefixKernelsDirectory(prefix) : Path.Combine(dataDirectory, "kernels"),
        BridgeCommand = BridgeCommand(),
        TokenFile = tokenFile,
        NamePrefix = result.GetValue(namePrefixOption) ?? "",
        DisplaySuffix = result.GetValue(displaySuffixOption) ?? "",
        Specs = result.GetValue(specsOption) ?? [],
        LeaseSeconds = result.GetValue(leaseOption),
        Workspace = workspace,
    };
    try
    {
        IReadOnlyList<InstalledSpec> installed = await new KernelSpecInstaller(gateway).InstallAsync(request, cancellationToken);
        foreach (InstalledSpec spec in installed)
        {
            Console.WriteLine($"Installed kernelspec {spec.Name} ({spec.DisplayName}, {spec.Language}) in {spec.Directory}");
        }
        if (installed.Count == 0)
        {
            Console.Error.WriteLine($"The gateway at {gateway.BaseUrl} offers no kernelspecs to this token.");
            return 1;
        }
        return 0;
    }
    catch (GatewayException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }
}

static async Task WatchParentAsync(BridgeKernel bridge, CancellationToken cancellationToken)
{
    if (ParentProcess.FromEnvironment(Environment.GetEnvironmentVariable(ParentProcess.Variable)) is not { } parent)
    {
        return;
    }
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
    try
    {
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            if (ParentProcess.IsGone(parent))
            {
                await bridge.TerminateAsync($"the tool that started this kernel (pid {parent}) has exited");
                return;
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
}

// The command an installed kernelspec runs: the dotnet host of this runtime and this program's dll, both absolute, so
// the kernel starts the same way whatever PATH or DOTNET_ROOT the tool has.
static IReadOnlyList<string> BridgeCommand()
{
    string dll = typeof(BridgeKernel).Assembly.Location;
    string host = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
    return File.Exists(host) ? [host, dll] : [Environment.ProcessPath ?? "dotnet", dll];
}

static IReadOnlyDictionary<string, string> EnvironmentVariables()
{
    var variables = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
    {
        variables[(string)entry.Key] = (string?)entry.Value ?? "";
    }
    return variables;
}

static LogLevel DefaultLogLevel() =>
    Enum.TryParse(Environment.GetEnvironmentVariable("NBGW_BRIDGE_LOG_LEVEL"), ignoreCase: true, out LogLevel level) ? level : LogLevel.Warning;

static ILoggerFactory CreateLoggers(LogLevel level) => LoggerFactory.Create(builder => builder
    .SetMinimumLevel(level)
    .AddSimpleConsole(options =>
    {
        options.SingleLine = true;
        options.TimestampFormat = "HH:mm:ss.fff ";
        options.UseUtcTimestamp = false;
    })
    .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace)); // stdout is the tool's

internal static partial class BridgeLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Starting a '{Spec}' kernel on {Gateway} in workspace `{Workspace}` (from the {Source})")]
    public static partial void Starting(ILogger logger, string spec, Uri gateway, string workspace, string source);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Ignoring kernel arguments meant for a local kernel: {Arguments}")]
    public static partial void IgnoredArguments(ILogger logger, string arguments);
}
