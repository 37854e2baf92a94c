using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.State;

/// <summary>
/// The manager's durable state in <c>{StateRoot}/{Owner}</c>: one sealed file per kernel (<c>kernels/</c>) and per
/// notebook session (<c>sessions/</c>), plus categories of the host's own (<see cref="Files"/>). Writes are atomic and
/// synchronous; a failed write (a full disk) throws and the caller undoes what it was recording.
/// </summary>
public sealed class KernelStateStore(SandboxHost host)
{
    private const string Kernels = "kernels";
    private const string Sessions = "sessions";

    private StateFiles? _files;

    /// <summary>The sealed files (for categories of the host's own, e.g. the server's sessions).</summary>
    /// <exception cref="InvalidOperationException">Before the manager is initialised.</exception>
    public StateFiles Files => _files ?? throw new InvalidOperationException("The state store is not open yet.");

    internal void Open() => _files ??= new StateFiles(host.StateDirectory);

    internal void SaveKernel(KernelRecord record) =>
        Files.Write(Kernels, record.KernelId, JsonSerializer.SerializeToUtf8Bytes(record, StateJsonContext.Default.KernelRecord));

    internal void DeleteKernel(string kernelId) => Files.Delete(Kernels, kernelId);

    internal void SaveSession(SessionStateRecord record) =>
        Files.Write(Sessions, record.Key, JsonSerializer.SerializeToUtf8Bytes(record, StateJsonContext.Default.SessionStateRecord));

    internal void DeleteSession(string key) => Files.Delete(Sessions, key);

    internal IReadOnlyList<Loaded<KernelRecord>> LoadKernels() => Load(Kernels, StateJsonContext.Default.KernelRecord, r => r.KernelId);

    internal IReadOnlyList<Loaded<SessionStateRecord>> LoadSessions() => Load(Sessions, StateJsonContext.Default.SessionStateRecord, r => r.Key);

    /// <summary>
    /// Each file of a category (the manager's, or one of the host's own): its record, or why it cannot be trusted
    /// (unsealed, unreadable, or naming another file's record; such a file is already removed).
    /// </summary>
    public IReadOnlyList<Loaded<T>> Load<T>(string category, JsonTypeInfo<T> type, Func<T, string> nameOf)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(nameOf);
        var loaded = new List<Loaded<T>>();
        foreach (var file in Files.ReadAll(category))
        {
            string? problem = file.Problem;
            T? record = null;
            if (problem is null)
            {
                try
                {
                    record = JsonSerializer.Deserialize(file.Body.Span, type);
                    problem = record is null ? "is empty" : nameOf(record) != file.Name ? $"names '{nameOf(record)}', not its own file" : null;
                }
                catch (JsonException ex)
                {
                    problem = "is not a valid record: " + ex.Message;
                }
            }

            if (problem is not null)
            {
                Files.Delete(category, file.Name);
                loaded.Add(new Loaded<T>(file.Name, null, $"state file {category}/{file.Name} {problem}"));
            }
            else
            {
                loaded.Add(new Loaded<T>(file.Name, record, null));
            }
        }

        return loaded;
    }
}

/// <summary>A record read back, or (with <see cref="Record"/> null) why its file was refused.</summary>
public sealed record Loaded<T>(string Name, T? Record, string? Problem) where T : class;
