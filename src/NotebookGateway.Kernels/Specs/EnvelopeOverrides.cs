using System.Text.Json;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Specs;

/// <summary>
/// A kernelspec's <c>metadata.notebookgateway.envelope</c>: each key it gives replaces the gateway default of the same
/// snake_case name; a key that is not a setting, or a value of the wrong type, is an error (all are collected).
/// </summary>
internal static class EnvelopeOverrides
{
    public static SandboxEnvelope Apply(SandboxEnvelope envelope, JsonElement overrides, List<string> errors)
    {
        const string W = "metadata.notebookgateway.envelope.";
        foreach (var property in overrides.EnumerateObject())
        {
            var value = property.Value;
            bool IsInt(out long number) => value.ValueKind == JsonValueKind.Number & value.TryGetInt64(out number);
            switch (property.Name)
            {
                case "tmp_exec":
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        envelope = envelope with { TmpExec = value.GetBoolean() };
                    }
                    else
                    {
                        errors.Add($"{W}tmp_exec must be true or false.");
                    }

                    continue;
                case "cpus":
                    if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var cpus))
                    {
                        envelope = envelope with { Cpus = cpus };
                    }
                    else
                    {
                        errors.Add($"{W}cpus must be a number.");
                    }

                    continue;
                case "output_bytes_per_cell" or "max_message_bytes":
                    if (!IsInt(out var bytes))
                    {
                        errors.Add($"{W}{property.Name} must be an integer.");
                    }
                    else
                    {
                        envelope = property.Name == "output_bytes_per_cell"
                            ? envelope with { OutputBytesPerCell = bytes }
                            : envelope with { MaxMessageBytes = bytes };
                    }

                    continue;
            }

            if (!IsInt(out var n) || n is < int.MinValue or > int.MaxValue)
            {
                errors.Add(property.Name is "memory_mib" or "pids" or "nofile" or "tmp_mib" or "shm_mib" or "workspace_mib" or "cell_timeout_seconds"
                    ? $"{W}{property.Name} must be an integer."
                    : $"{W}{property.Name} is not a known setting.");
                continue;
            }

            var i = (int)n;
            switch (property.Name)
            {
                case "memory_mib": envelope = envelope with { MemoryMiB = i }; break;
                case "pids": envelope = envelope with { Pids = i }; break;
                case "nofile": envelope = envelope with { Nofile = i }; break;
                case "tmp_mib": envelope = envelope with { TmpMiB = i }; break;
                case "shm_mib": envelope = envelope with { ShmMiB = i }; break;
                case "workspace_mib": envelope = envelope with { WorkspaceMiB = i }; break;
                case "cell_timeout_seconds": envelope = envelope with { CellTimeoutSeconds = i }; break;
                default: errors.Add($"{W}{property.Name} is not a known setting."); break;
            }
        }

        return envelope;
    }
}
