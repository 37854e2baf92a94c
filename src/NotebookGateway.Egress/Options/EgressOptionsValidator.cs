using Microsoft.Extensions.Options;
using NotebookGateway.Egress.Policies;

namespace NotebookGateway.Egress.Options;

/// <summary>Checks <see cref="EgressOptions"/> and reports every problem at once.</summary>
public sealed class EgressOptionsValidator : IValidateOptions<EgressOptions>
{
    public ValidateOptionsResult Validate(string? name, EgressOptions options)
    {
        var errors = Collect(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Collect(EgressOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string S = EgressOptions.SectionName;
        var errors = new List<string>();
        void Require(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        void CheckLimits(string path, int? connections, int? perMinute, long? up, long? down, List<int>? ports)
        {
            Require(connections is null or (>= 1 and <= 10_000), $"{path}:MaxConnections must be 1-10000 (is {connections}).");
            Require(perMinute is null or (>= 1 and <= 1_000_000), $"{path}:ConnectionsPerMinute must be 1-1000000 (is {perMinute}).");
            Require(up is null or >= 0, $"{path}:MaxBytesUp must be 0 or more (is {up}).");
            Require(down is null or >= 0, $"{path}:MaxBytesDown must be 0 or more (is {down}).");
            Require(ports is null || ports.All(p => p is >= 1 and <= 65535), $"{path}:DefaultPorts must be ports 1-65535.");
        }

        CheckLimits(S, options.MaxConnections, options.ConnectionsPerMinute, options.MaxBytesUp, options.MaxBytesDown, options.DefaultPorts);
        Require(options.RequestHeadTimeoutSeconds is >= 1 and <= 300, $"{S}:RequestHeadTimeoutSeconds must be 1-300 (is {options.RequestHeadTimeoutSeconds}).");
        Require(options.MaxRequestHeadBytes is >= 1024 and <= 1024 * 1024, $"{S}:MaxRequestHeadBytes must be 1024-1048576 (is {options.MaxRequestHeadBytes}).");
        Require(options.ConnectTimeoutSeconds is >= 1 and <= 300, $"{S}:ConnectTimeoutSeconds must be 1-300 (is {options.ConnectTimeoutSeconds}).");
        Require(options.IdleTimeoutSeconds is >= 1 and <= 86_400, $"{S}:IdleTimeoutSeconds must be 1-86400 (is {options.IdleTimeoutSeconds}).");
        Require(options.BufferBytes is >= 1024 and <= 4 * 1024 * 1024, $"{S}:BufferBytes must be 1024-4194304 (is {options.BufferBytes}).");
        Require(options.NoProxy is not null && !options.NoProxy.Any(char.IsControl), $"{S}:NoProxy must be a comma-separated list without control characters.");

        foreach (var (policyName, policy) in options.Policies)
        {
            var path = $"{S}:Policies:{policyName}";
            Require(policyName != EgressPolicy.None, $"{path}: '{EgressPolicy.None}' is built in (no network) and cannot be defined.");
            Require(policyName.Length is >= 1 and <= 64 && policyName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'),
                $"{path}: a policy name is 1-64 characters of letters, digits, '-', '_' and '.'.");
            Require(policy.Destinations.Count > 0, $"{path}:Destinations must list at least one destination (use '{EgressPolicy.None}' for no network).");
            foreach (var entry in policy.Destinations)
            {
                if (EgressDestination.TryParse(entry, out var error) is null)
                {
                    errors.Add($"{path}:Destinations: {error}.");
                }
            }

            CheckLimits(path, policy.MaxConnections, policy.ConnectionsPerMinute, policy.MaxBytesUp, policy.MaxBytesDown, policy.DefaultPorts);
        }

        foreach (var (kind, table) in new[] { ("Groups", options.Groups), ("Users", options.Users) })
        {
            foreach (var (who, bySpec) in table)
            {
                foreach (var (spec, policyName) in bySpec)
                {
                    Require(options.IsDefined(policyName ?? ""),
                        $"{S}:{kind}:{who}:{spec}: '{policyName}' is not a defined policy (define it under {S}:Policies, or use '{EgressPolicy.None}').");
                }
            }
        }

        return errors;
    }
}
