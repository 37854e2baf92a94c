using System.Reflection;
using System.Reflection.Emit;
using NotebookGateway.Server.Hosting;

namespace NotebookGateway.Server.Tests.Architecture;

/// <summary>
/// The server's folders form layers, and a folder may use only folders of lower layers (never a sibling of its own
/// layer, so there are no cycles). Read from the compiled assembly: signatures, fields, base types and every type,
/// method and field token in the method bodies, so a fully qualified name cannot slip past.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Lowest first. A new folder must be placed here.</summary>
    private static readonly string[][] Layers =
    [
        ["Configuration", "Logging", "Audit", "Quotas", "Metrics"], // options and policies that know no kernel
        ["Security", "RateLimiting", "Monitoring"],                  // users and tokens, rate limits, the security timeline
        ["Access"],                                                  // who may use which kernelspec
        ["Relay"],                                                   // transport-independent relay of one kernel, admission checks
        ["Execution", "Admission"],                                  // execution limits, their metrics and audit; admission rules on the code
        ["Kernels"],                                                 // the gateway's kernels: registry, starter, sessions
        ["Api"],                                                     // the Kernel Gateway REST API
        ["WebSockets", "Hubs", "Culling", "Web"],                    // transports side by side, the culler, public assets
        ["Hosting"],                                                 // services, options, the request pipeline
    ];

    private const string Root = "NotebookGateway.Server.";

    private static readonly Dictionary<string, int> LayerOf = Layers
        .SelectMany((folders, layer) => folders.Select(folder => (folder, layer)))
        .ToDictionary(x => x.folder, x => x.layer, StringComparer.Ordinal);

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void Folders_ReferenceOnlyLowerLayers()
    {
        Assembly server = typeof(GatewayServices).Assembly;
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Type type in server.GetTypes())
        {
            if (FolderOf(OutermostOf(type)) is not { } folder)
            {
                continue; // Program (the composition root) and generated code outside the server's namespaces
            }
            Assert.True(LayerOf.ContainsKey(folder), $"The folder {folder} has no layer: add it to {nameof(LayeringTests)}.{nameof(Layers)}.");
            foreach (Type used in ReferencedTypes(type))
            {
                if (FolderOf(OutermostOf(used)) is { } target && target != folder
                    && (!LayerOf.TryGetValue(target, out int targetLayer) || targetLayer >= LayerOf[folder]))
                {
                    violations.Add($"{folder} → {target} ({type.FullName} uses {used.FullName})");
                }
            }
        }

        Assert.True(violations.Count == 0, "Folders that use a folder of their own layer or of a higher one:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Scan_FindsReferencesInMethodBodies()
    {
        // The scan itself: AddGateway names KernelQuotas only as the type argument of a call in its body.
        Assert.Contains(ReferencedTypes(typeof(GatewayServices)), t => t.Namespace == Root + "Quotas");
    }

    private static Type OutermostOf(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }
        return type;
    }

    private static string? FolderOf(Type type) =>
        type.Namespace is { } ns && ns.StartsWith(Root, StringComparison.Ordinal) ? ns[Root.Length..].Split('.')[0] : null;

    private static IEnumerable<Type> ReferencedTypes(Type type)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || !found.Add(t))
            {
                return;
            }
            if (t.HasElementType)
            {
                Add(t.GetElementType());
            }
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (Type argument in t.GetGenericArguments())
                {
                    Add(argument);
                }
            }
        }

        Add(type.BaseType);
        foreach (Type face in type.GetInterfaces())
        {
            Add(face);
        }
        foreach (FieldInfo field in type.GetFields(All))
        {
            Add(field.FieldType);
        }
        foreach (PropertyInfo property in type.GetProperties(All))
        {
            Add(property.PropertyType);
        }
        foreach (MethodBase method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo info)
            {
                Add(info.ReturnType);
            }
            foreach (ParameterInfo parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }
            foreach (Type t in TypesInBody(method))
            {
                Add(t);
            }
        }
        return found;
    }

    /// <summary>The declaring types of every type, method and field token in the method's IL.</summary>
    private static IEnumerable<Type> TypesInBody(MethodBase method)
    {
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int position = 0;
        while (position < il.Length)
        {
            short value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            position += il[position] == 0xFE ? 2 : 1;
            OpCode opCode = OpCodesByValue[value];
            int operandSize = opCode.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, position)),
                _ => 4,
            };
            if (opCode.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                int token = BitConverter.ToInt32(il, position);
                MemberInfo? member = null;
                try
                {
                    member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                }
                catch (ArgumentException)
                {
                }
                if (member is Type t)
                {
                    yield return t;
                }
                else if (member?.DeclaringType is { } declaring)
                {
                    yield return declaring;
                    if (member is MethodInfo called)
                    {
                        yield return called.ReturnType;
                        foreach (Type argument in called.IsGenericMethod ? called.GetGenericArguments() : [])
                        {
                            yield return argument;
                        }
                    }
                }
            }
            position += operandSize;
        }
    }
}
