using System.Globalization;

namespace NotebookGateway.ImageCheck;

/// <summary>The command line of the image check.</summary>
public sealed record ImageCheckOptions
{
    public required string Image { get; init; }

    public required IReadOnlyList<string> KernelSpecDirectories { get; init; }

    public string SeccompProfile { get; init; } = "seccomp/notebook.json";

    /// <summary>Owner label of the check's containers; distinct per concurrent check (each sweeps its own orphans).</summary>
    public string Owner { get; init; } = "nbgw-imagecheck";

    /// <summary>First sandbox uid of the check's range (100 uids), distinct per concurrent check.</summary>
    public uint UidFirst { get; init; } = 400_000;

    public int LaunchTimeoutSeconds { get; init; } = 120;

    public const string Usage = "usage: NotebookGateway.ImageCheck --image TAG --kernelspecs DIR [--kernelspecs DIR ...] [--seccomp FILE] [--owner NAME] [--uid-first N] [--launch-timeout SECONDS]";

    /// <summary>The options, or the reason the arguments are unusable.</summary>
    public static (ImageCheckOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        string? image = null, seccomp = null, owner = null;
        uint? uidFirst = null;
        int? timeout = null;
        var directories = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (i + 1 >= args.Count)
            {
                return (null, $"{args[i]} needs a value");
            }

            var value = args[++i];
            switch (args[i - 1])
            {
                case "--image": image = value; break;
                case "--kernelspecs": directories.Add(value); break;
                case "--seccomp": seccomp = value; break;
                case "--owner": owner = value; break;
                case "--uid-first" when uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var uid): uidFirst = uid; break;
                case "--launch-timeout" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0: timeout = seconds; break;
                default: return (null, $"unknown or invalid argument {args[i - 1]} {value}");
            }
        }

        if (image is null || directories.Count == 0)
        {
            return (null, "--image and --kernelspecs are required");
        }

        var options = new ImageCheckOptions { Image = image, KernelSpecDirectories = directories };
        return (options with
        {
            SeccompProfile = seccomp ?? options.SeccompProfile,
            Owner = owner ?? options.Owner,
            UidFirst = uidFirst ?? options.UidFirst,
            LaunchTimeoutSeconds = timeout ?? options.LaunchTimeoutSeconds,
        }, null);
    }
}
