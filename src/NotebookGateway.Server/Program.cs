using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using NotebookGateway.Jupyter.WebSocket;
using NotebookGateway.Server.Api;
using NotebookGateway.Server.Channels;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Hubs;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Metrics;
using NotebookGateway.Server;
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
NotebookGateway.Server.Logging.ConsoleLogging.Apply(builder.Logging, builder.Configuration);

// Bound here; validated below, all sections at once, before anything starts.
builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section));
builder.Services.AddOptions<ChannelOptions>().Bind(builder.Configuration.GetSection(ChannelOptions.Section));
// Before the sandbox manager: hosted services stop in reverse order, so the audit log drains after the kernels are gone.
NotebookGateway.Server.Execution.ExecutionServiceCollectionExtensions.AddExecutionLimits(builder.Services, builder.Configuration);
builder.Services.AddSandboxKernels(builder.Configuration);
builder.Services.AddSingleton<GatewayKernelRegistry>();
builder.Services.AddSingleton<SessionStore>();
builder.Services.AddSingleton<KernelStarter>();
builder.Services.AddKernelHub(builder.Configuration);
builder.Services.AddOptions<NotebookGateway.Server.Quotas.QuotaOptions>().Bind(builder.Configuration.GetSection(NotebookGateway.Server.Quotas.QuotaOptions.Section));
builder.Services.AddSingleton<NotebookGateway.Server.Quotas.KernelQuotas>();
builder.Services.AddOptions<NotebookGateway.Server.Culling.CullingOptions>().Bind(builder.Configuration.GetSection(NotebookGateway.Server.Culling.CullingOptions.Section));
builder.Services.AddHostedService<NotebookGateway.Server.Culling.KernelCuller>();
builder.Services.AddGatewayMetrics(builder.Configuration);
builder.Services.AddOptions<NotebookGateway.Server.RateLimiting.RateLimitOptions>().Bind(builder.Configuration.GetSection(NotebookGateway.Server.RateLimiting.RateLimitOptions.Section));
builder.Services.AddSingleton<NotebookGateway.Server.RateLimiting.GatewayRateLimiter>();
builder.Services.AddSingleton<NotebookGateway.Server.RateLimiting.BadTokenThrottle>();
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
    gateway = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
    var channels = builder.Configuration.GetSection(ChannelOptions.Section).Get<ChannelOptions>() ?? new ChannelOptions();
    var sandbox = builder.Configuration.GetSection(NotebookGateway.Kernels.Options.SandboxOptions.SectionName)
        .Get<NotebookGateway.Kernels.Options.SandboxOptions>() ?? new NotebookGateway.Kernels.Options.SandboxOptions();
    metricsOptions = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
    users = builder.Configuration.GetSection(UserOptions.Section).Get<List<UserOptions>>() ?? [];
    hubOptions = builder.Configuration.GetSection(KernelHubOptions.Section).Get<KernelHubOptions>() ?? new KernelHubOptions();
    var failures = new List<string>();
    failures.AddRange(new GatewayOptionsValidator().Validate(null, gateway).Failures ?? []);
    failures.AddRange(new ChannelOptionsValidator().Validate(null, channels).Failures ?? []);
    failures.AddRange(new NotebookGateway.Kernels.Options.SandboxOptionsValidator().Validate(null, sandbox).Failures ?? []);
    failures.AddRange(new MetricsOptionsValidator().Validate(null, metricsOptions).Failures ?? []);
    failures.AddRange(UsersValidator.Validate(users));
    failures.AddRange(new KernelHubOptionsValidator().Validate(null, hubOptions).Failures ?? []);
    failures.AddRange((builder.Configuration.GetSection(NotebookGateway.Server.Quotas.QuotaOptions.Section).Get<NotebookGateway.Server.Quotas.QuotaOptions>()
        ?? new NotebookGateway.Server.Quotas.QuotaOptions()).Validate());
    failures.AddRange((builder.Configuration.GetSection(NotebookGateway.Server.Culling.CullingOptions.Section).Get<NotebookGateway.Server.Culling.CullingOptions>()
        ?? new NotebookGateway.Server.Culling.CullingOptions()).Validate());
    failures.AddRange((builder.Configuration.GetSection(NotebookGateway.Server.RateLimiting.RateLimitOptions.Section).Get<NotebookGateway.Server.RateLimiting.RateLimitOptions>()
        ?? new NotebookGateway.Server.RateLimiting.RateLimitOptions()).Validate());
    var specAccess = builder.Configuration.GetSection(NotebookGateway.Server.Access.KernelSpecAccessOptions.Section).Get<NotebookGateway.Server.Access.KernelSpecAccessOptions>()
        ?? new NotebookGateway.Server.Access.KernelSpecAccessOptions();
    failures.AddRange(specAccess.Validate());
    builder.Services.AddSingleton(new NotebookGateway.Server.Access.KernelSpecAccess(specAccess, users));
    failures.AddRange((builder.Configuration.GetSection(NotebookGateway.Server.Execution.ExecutionOptions.Section).Get<NotebookGateway.Server.Execution.ExecutionOptions>()
        ?? new NotebookGateway.Server.Execution.ExecutionOptions()).Validate());
    failures.AddRange((builder.Configuration.GetSection(NotebookGateway.Server.Audit.AuditOptions.Section).Get<NotebookGateway.Server.Audit.AuditOptions>()
        ?? new NotebookGateway.Server.Audit.AuditOptions()).Validate());
    failures.AddRange(NotebookGateway.Server.Logging.ConsoleLogging.Validate(builder.Configuration));
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
var badTokens = app.Services.GetRequiredService<NotebookGateway.Server.RateLimiting.BadTokenThrottle>();
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
if (NotebookGateway.Server.Logging.ConsoleLogging.IsJson(builder.Configuration))
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
