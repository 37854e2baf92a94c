using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace NotebookGateway.Server.Admission;

/// <summary>
/// Refusals by admission rule (meter <see cref="MeterName"/>). Observable counters over counts kept here, so every
/// configured rule is exported from the start at 0 (an alert fires on the first increase) whenever the exporter
/// begins listening: a <c>Counter.Add(0)</c> made before the exporter listens would be lost, and its series missing.
/// The rules are fixed at start, so the label values are bounded.
/// </summary>
public sealed class AdmissionMetrics : IDisposable
{
    public const string MeterName = "NotebookGateway.Admission";

    private readonly Meter _meter;
    private readonly Dictionary<string, StrongBox<long>> _refusals;
    private readonly Dictionary<string, StrongBox<long>> _timeouts;

    /// <param name="rules">Every rule that can refuse (the size limit, the unreadable request, each deny rule).</param>
    /// <param name="deniedByPattern">The deny rules, which alone can time out.</param>
    /// <param name="meterFactory">The host's (which owns the meter); a meter of its own without one (disposed with this).</param>
    public AdmissionMetrics(IEnumerable<string> rules, IEnumerable<string> deniedByPattern, IMeterFactory? meterFactory = null)
    {
        _refusals = rules.ToDictionary(r => r, _ => new StrongBox<long>(), StringComparer.Ordinal);
        _timeouts = deniedByPattern.ToDictionary(r => r, _ => new StrongBox<long>(), StringComparer.Ordinal);
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("execution_refusals", () => Observe(_refusals),
            description: "Cells refused by an admission rule before reaching the kernel (rule: code_size, malformed_request or a deny rule's name).");
        _meter.CreateObservableCounter("admission_rule_timeouts", () => Observe(_timeouts),
            description: "Deny rules that could not be evaluated within Admission:RegexTimeoutMilliseconds; the cell was refused (rule).");
    }

    public void Refused(string rule) => Interlocked.Increment(ref _refusals[rule].Value);

    public void TimedOut(string rule) => Interlocked.Increment(ref _timeouts[rule].Value);

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> Observe(Dictionary<string, StrongBox<long>> counts) =>
        counts.Select(pair => new Measurement<long>(Interlocked.Read(ref pair.Value.Value), new KeyValuePair<string, object?>("rule", pair.Key)));
}
