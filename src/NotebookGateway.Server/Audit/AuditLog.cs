using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Audit;

/// <summary>
/// The audit log of executions, security events and egress decisions: <see cref="Write"/> only enqueues (a cell never waits for the disk), one writer task appends
/// JSON lines to the file and flushes after each batch. A full queue drops records and counts them.
/// </summary>
public sealed partial class AuditLog : IHostedService
{
    public const string MeterName = "NotebookGateway.Audit";

    private readonly AuditOptions _options;
    private readonly ILogger<AuditLog> _logger;
    private readonly Channel<AuditEntry> _queue;
    private readonly Counter<long> _dropped;
    private Task _writer = Task.CompletedTask;

    /// <param name="meterFactory">Where <c>audit_records_dropped</c> lives (the host's; a meter of its own without one).</param>
    public AuditLog(IOptions<AuditOptions> options, ILogger<AuditLog> logger, IMeterFactory? meterFactory = null)
    {
        _options = options.Value;
        _logger = logger;
        Meter meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _dropped = meter.CreateCounter<long>("audit_records_dropped", description: "Audit records dropped because the writer fell behind or failed.");
        _queue = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(Math.Max(1, _options.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
            AllowSynchronousContinuations = false,
        }, _ => _dropped.Add(1));
    }

    public bool Enabled => _options.Enabled;

    /// <summary>Queues a record; never blocks.</summary>
    public void Write(AuditEntry record)
    {
        if (Enabled)
        {
            _queue.Writer.TryWrite(record);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Enabled)
        {
            // Opened here so a path that cannot be written fails the start, not the first cell.
            var file = new FileStream(_options.Path, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.Read,
                Options = FileOptions.Asynchronous,
            });
            _writer = Task.Run(() => WriteAllAsync(file), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>Completes the queue and waits until every record queued so far is on disk.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAllAsync(FileStream opened)
    {
        await using FileStream file = opened;
        var buffer = new MemoryStream();
        using var json = new Utf8JsonWriter(buffer);
        try
        {
            // Records queued before shutdown are still written: the loop ends when the queue is completed and empty.
            while (await _queue.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out AuditEntry? record))
                {
                    JsonSerializer.Serialize(json, record, record.GetType(), AuditJsonContext.Default);
                    json.Flush();
                    json.Reset();
                    buffer.WriteByte((byte)'\n');
                }
                try
                {
                    await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), CancellationToken.None).ConfigureAwait(false);
                    await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    Log.WriteFailed(_logger, _options.Path, ex);
                }
                buffer.SetLength(0);
            }
        }
        finally
        {
            Log.Closed(_logger, _options.Path);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3601, Level = LogLevel.Error, Message = "Writing the audit log {Path} failed")]
        public static partial void WriteFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(EventId = 3602, Level = LogLevel.Debug, Message = "Audit log {Path} closed")]
        public static partial void Closed(ILogger logger, string path);
    }
}
