using System.Globalization;
using System.Text.RegularExpressions;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Admission;

/// <summary>
/// The admission rules of one kernel (<see cref="AdmissionRules.For"/>): the code size limit, then each deny rule in
/// scope, in configuration order; the first that refuses names itself in the cell (a stderr notice and the error
/// execute_reply's <c>evalue</c>, <c>ename</c> <see cref="ErrorName"/>) and in the audit and metrics. Fail-closed:
/// content that cannot be read, and a rule that cannot be evaluated within its timeout, refuse the cell. The timeout
/// bounds the time taken on the relay path: at most one timeout per rule in scope.
/// </summary>
public sealed partial class CodeAdmission : IExecuteAdmission
{
    public const string ErrorName = "ExecutionRefused";

    private readonly string _owner;
    private readonly long _maxCodeBytes;
    private readonly IReadOnlyList<DenyRule> _rules;
    private readonly TimeSpan _timeout;
    private readonly AdmissionMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal CodeAdmission(string owner, long maxCodeBytes, IReadOnlyList<DenyRule> rules, TimeSpan timeout, AdmissionMetrics metrics, TimeProvider time, ILogger logger)
    {
        _owner = owner;
        _maxCodeBytes = maxCodeBytes;
        _rules = rules;
        _timeout = timeout;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public string Limit => "admission";

    /// <summary>The size limit in force for this kernel (0 = none).</summary>
    public long MaxCodeBytes => _maxCodeBytes;

    /// <summary>The names of the deny rules in force for this kernel, in the order they are evaluated.</summary>
    public IReadOnlyList<string> RuleNames => [.. _rules.Select(r => r.Name)];

    public ExecutionRefusal? Check(JupyterMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MsgType != MessageTypes.ExecuteRequest || (_maxCodeBytes == 0 && _rules.Count == 0))
        {
            return null; // nothing to check: the content is not even parsed
        }
        if (ExecuteCode.Read(request.ContentJson.Span) is not { } code)
        {
            return Refuse(request, AdmissionOptions.MalformedRequestRule, "the gateway could not read the code of this execute_request");
        }
        if (_maxCodeBytes > 0 && code.Utf8Bytes > _maxCodeBytes)
        {
            return Refuse(request, AdmissionOptions.CodeSizeRule, string.Create(CultureInfo.InvariantCulture,
                $"this cell has {code.Utf8Bytes} bytes of code; the limit is {_maxCodeBytes} bytes"));
        }
        foreach (DenyRule rule in _rules)
        {
            bool matched;
            try
            {
                matched = rule.Pattern.IsMatch(code.Text);
            }
            catch (RegexMatchTimeoutException)
            {
                // Fail-closed: a cell the rule cannot judge in time is not let through.
                _metrics.TimedOut(rule.Name);
                Log.RuleTimedOut(_logger, _owner, request.MsgId, rule.Name, _timeout.TotalMilliseconds);
                return Refuse(request, rule.Name, string.Create(CultureInfo.InvariantCulture,
                    $"the rule could not be evaluated within {_timeout.TotalMilliseconds:0} ms, so the cell was not run"));
            }
            if (matched)
            {
                return Refuse(request, rule.Name, rule.Message);
            }
        }
        return null;
    }

    private ExecutionRefusal Refuse(JupyterMessage request, string rule, string message)
    {
        _metrics.Refused(rule);
        Log.Refused(_logger, _owner, request.MsgId, rule);
        return GatewayMessages.RefuseExecute(request, ErrorName, $"[execution refused by rule `{rule}`: {message}]", _time) with { Rule = rule };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Execute `{MsgId}` of `{User}` refused by admission rule `{Rule}`")]
        public static partial void Refused(ILogger logger, string user, string msgId, string rule);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
            Message = "Admission rule `{Rule}` did not finish within {TimeoutMs} ms on execute `{MsgId}` of `{User}`; the cell was refused (check the pattern for catastrophic backtracking)")]
        public static partial void RuleTimedOut(ILogger logger, string user, string msgId, string rule, double timeoutMs);
    }
}
