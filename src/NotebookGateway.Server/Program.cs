using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using NotebookGateway.Jupyter.WebSocket;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Server;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Api;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Channels;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Culling;
using NotebookGateway.Server.Execution;
using NotebookGateway.Server.Hubs;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Leases;
using NotebookGateway.Server.Logging;
using NotebookGateway.Server.Metrics;
using NotebookGateway.Server.Quotas;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Security;
using NotebookGateway.Server.Web;

// `NotebookGateway.Server token`: a new user token and the hash to put in gateway.json's Users list.
if (args.Length > 0 && args[0] == "token")
{
    string token = TokenAuthentication.Generate();
    Console.WriteLine($"token:       {token}");
    Console.WriteLine($"TokenSha256: {TokenAuthentication.HashHex(token)}");
    return 0;
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = Environment.CurrentDirectory,
    WebRootPath = PublicAssets.WebRoot,
});

// gateway.json from the working directory (the repository root when started by scripts/up.sh), or --config.
string configPath = Path.GetFullPath(builder.Configuration["config"] ?? "gateway.json");
builder.Configuration.AddJsonFile(configPath, optional: false, reloadOnChange: false);
builder.Configuration.AddEnvironmentVariables("NBGW_");
// Request lines carry ?token=: keep the framework's request logging out of the logs.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
ConsoleLogging.Apply(builder.Logging, builder.Configuration);

// Bound here; validated below, all sections at once, before anything starts.
builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section));
builder.Services.AddOptions<ChannelOptions>().Bind(builder.Configuration.GetSection(ChannelOptions.Section));
// Before the sandbox manager: hosted services stop in reverse order, so the audit log drains after the kernels are gone.
builder.Services.AddExecutionLimits(builder.Configuration);
builder.Services.AddSandboxKernels(builder.Configuration);
builder.Services.AddSingleton<GatewayKernelRegistry>();
builder.Services.AddSingleton<SessionStore>();
builder.Services.AddSingleton<KernelStarter>();
builder.Services.AddKernelHub(builder.Configuration);
builder.Services.AddOptions<QuotaOptions>().Bind(builder.Configuration.GetSection(QuotaOptions.Section));
builder.Services.AddSingleton<KernelQuotas>();
builder.Services.AddOptions<CullingOptions>().Bind(builder.Configuration.GetSection(CullingOptions.Section));
builder.Services.AddHostedService<KernelCuller>();
builder.Services.AddOptions<LeaseOptions>().Bind(builder.Configuration.GetSection(LeaseOptions.Section));
builder.Services.AddSingleton<KernelLeases>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<KernelLeases>());
builder.Services.AddGatewayMetrics(builder.Configuration);
builder.Services.AddOptions<RateLimitOptions>().Bind(builder.Configuration.GetSection(RateLimitOptions.Section));
builder.Services.AddSingleton<GatewayRateLimiter>();
builder.Services.AddSingleton<BadTokenThrottle>();
builder.Services.AddSingleton(sp => new WebSocketMessageCodec(new WebSocketCodecOptions
{
    MaxFrameBytes = sp.GetRequiredService<IOptions<ChannelOptions>>().Value.MaxClientMessageBytes,
}));

// Every section is checked before anything starts, and every error is listed at once.
GatewayOptions gateway;
MetricsOptions metricsOptions;
List<UserOptions> users;
KernelHubOptions hubOptions;
try
{
    gateway = Bound<GatewayOptions>(GatewayOptions.Section);
    metricsOptions = Bound<MetricsOptions>(MetricsOptions.Section);
    users = builder.Configuration.GetSection(UserOptions.Section).Get<List<UserOptions>>() ?? [];
    hubOptions = Bound<KernelHubOptions>(KernelHubOptions.Section);
    var specAccess = Bound<KernelSpecAccessOptions>(KernelSpecAccessOptions.Section);
    var failures = new List<string>();
    failures.AddRange(new GatewayOptionsValidator().Validate(null, gateway).Failures ?? []);
    failures.AddRange(new ChannelOptionsValidator().Validate(null, Bound<ChannelOptions>(ChannelOptions.Section)).Failures ?? []);
    failures.AddRange(new SandboxOptionsValidator().Validate(null, Bound<SandboxOptions>(SandboxOptions.SectionName)).Failures ?? []);
    failures.AddRange(new MetricsOptionsValidator().Validate(null, metricsOptions).Failures ?? []);
    failures.AddRange(UsersValidator.Validate(users));
    failures.AddRange(new KernelHubOptionsValidator().Validate(null, hubOptions).Failures ?? []);
    failures.AddRange(Bound<QuotaOptions>(QuotaOptions.Section).Validate());
    failures.AddRange(Bound<CullingOptions>(CullingOptions.Section).Validate());
    failures.AddRange(Bound<LeaseOptions>(LeaseOptions.Section).Validate());
    failures.AddRange(Bound<RateLimitOptions>(RateLimitOptions.Section).Validate());
    failures.AddRange(specAccess.Validate());
    failures.AddRange(Bound<ExecutionOptions>(ExecutionOptions.Section).Validate());
    failures.AddRange(Bound<AuditOptions>(AuditOptions.Section).Validate());
    failures.AddRange(ConsoleLogging.Validate(builder.Configuration));
    builder.Services.AddSingleton(new KernelSpecAccess(specAccess, users));
    if (failures.Count > 0)
    {
        Console.Error.WriteLine($"{configPath} is invalid:\n  " + string.Join("\n  ", failures));
        return 2;
    }
}
catch (InvalidOperationException ex)
{
    // A value of the wrong type (e.g. "Listen": 5 or "OutputBytesPerCell": "lots").
    Console.Error.WriteLine($"{configPath} is invalid: {ex.Message}");
    return 2;
}
var auth = new TokenAuthentication(string.IsNullOrEmpty(gateway.Token) ? TokenAuthentication.Generate() : gateway.Token, users);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(gateway.ListenEndPoint);
    if (metricsOptions.Enabled && metricsOptions.Port > 0)
    {
        kestrel.Listen(System.Net.IPAddress.Loopback, metricsOptions.Port); // serves only /metrics
    }
});

var app = builder.Build();
var badTokens = app.Services.GetRequiredService<BadTokenThrottle>();
app.UseGatewayMetrics(metricsOptions);

// Every error is {reason, message}; nothing about the exception reaches the client.
app.UseExceptionHandler(errors => errors.Run(async context =>
{
    var feature = context.Features.Get<IExceptionHandlerFeature>();
    ServerLog.UnhandledError(app.Logger, context.Request.Path.Value ?? "", feature?.Error);
    await JsonErrors.Create(StatusCodes.Status500InternalServerError, "Internal Server Error", "Unknown server error").ExecuteAsync(context);
}));
string basePath = gateway.BaseUrl.TrimEnd('/');
if (basePath.Length > 0)
{
    app.UsePathBase(basePath);
}
app.UseHubOrigins(hubOptions, basePath);
app.Use(async (context, next) =>
{
    CorsHeaders.Apply(context, gateway);
    if (basePath.Length > 0 && !context.Request.PathBase.HasValue)
    {
        await JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found").ExecuteAsync(context);
        return;
    }
    if (HttpMethods.IsOptions(context.Request.Method))
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return;
    }
    if (PublicAssets.IsPublic(context.Request))
    {
        await next(context); // the live-cells script and demo page: served by UsePublicAssets below, nothing else
        return;
    }
    // An address that sent too many wrong tokens waits, whatever it presents now (token guessing).
    if (badTokens.Check(context.Connection.RemoteIpAddress) is { } throttled)
    {
        await throttled.ToResult().ExecuteAsync(context);
        return;
    }
    string? user = auth.Authenticate(context.Request);
    if (user is null && TokenAuthentication.PresentedToken(context.Request) is not null)
    {
        badTokens.RecordFailure(context.Connection.RemoteIpAddress);
    }
    if (user is null && !MetricsEndpoints.IsAnonymousScrape(context, metricsOptions))
    {
        await JsonErrors.Create(StatusCodes.Status401Unauthorized, "Unauthorized").ExecuteAsync(context);
        return;
    }
    GatewayUser.Set(context, user ?? GatewayUser.DefaultName);
    await next(context);
});
app.UsePublicAssets();
// Routing must run after UsePathBase, or no route matches under a base URL.
app.UseRouting();
app.UseWebSockets();
app.UseWebSocketMetrics(metricsOptions);

app.MapGet("/api", () => Results.Json(new VersionBody(typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.1.0"), ApiJsonContext.Default.VersionBody));
KernelSpecEndpoints.Map(app);
KernelEndpoints.Map(app);
SessionEndpoints.Map(app);
ChannelEndpoints.Map(app);
app.MapKernelHub(hubOptions);
app.MapMetrics(metricsOptions);
// "{*path}": the default fallback pattern skips file-like paths (/api/contents/a.ipynb), which must be JSON 404s too.
app.MapFallback("{*path}", () => JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found"));

await app.StartAsync();
string url = $"http://{gateway.Listen}{gateway.BaseUrl}";
if (ConsoleLogging.IsJson(builder.Configuration))
{
    // Stdout stays one JSON object per line, and the token never reaches a log shipper: a generated one goes to stderr.
    ServerLog.Listening(app.Logger, url);
    if (string.IsNullOrEmpty(gateway.Token))
    {
        Console.Error.WriteLine($"Token: {auth.Token}");
    }
}
else
{
    Console.WriteLine($"NotebookGateway is listening on {url}");
    Console.WriteLine($"Token: {auth.Token}");
    Console.WriteLine($"Demo:  {url}demo/?token={auth.Token}");
    Console.WriteLine($"Try:   curl -H 'Authorization: token {auth.Token}' {url}api/kernelspecs");
}
await app.WaitForShutdownAsync();
return 0;

// A configuration section bound to its options type (defaults when the section is absent).
T Bound<T>(string section) where T : new() => builder.Configuration.GetSection(section).Get<T>() ?? new T();
