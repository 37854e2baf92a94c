namespace NotebookGateway.Jupyter.Tests.Client;

/// <summary>
/// Test classes that start real Python processes run one after another: on a 2-core machine, kernels
/// starting in parallel would distort the timings these tests assert (interrupt within 2 s).
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealKernelCollection
{
    public const string Name = "real kernels";
}
