using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace NotebookGateway.Kernels.Tests.Support;

/// <summary>Keeps every log entry in memory, so tests can assert on security events and print logs on failure.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IEnumerable<LogEntry> WithEventId(int id) => Entries.Where(e => e.EventId.Id == id);

    public string Dump(int last = 60) => string.Join('\n', Entries.TakeLast(last).Select(e => $"{e.Level} [{e.Category}] {e.Message}{(e.Exception is null ? "" : " " + e.Exception.GetType().Name + ": " + e.Exception.Message)}"));

    public void Dispose()
    {
    }

    internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (category.StartsWith("NotebookGateway.Jupyter", StringComparison.Ordinal) && logLevel < LogLevel.Information)
            {
                return;
            }

            owner._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
            while (owner._entries.Count > 20_000 && owner._entries.TryDequeue(out _))
            {
            }
        }
    }
}
