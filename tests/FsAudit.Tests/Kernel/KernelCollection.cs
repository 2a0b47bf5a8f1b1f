using Xunit;
namespace FsAudit.Tests.Kernel;

/// <summary>
/// Every test that touches the kernel's audit state runs in this collection, one at a time: there is one
/// audit configuration and one daemon slot per machine. Mark such tests
/// <c>[Collection("Kernel")]</c>, <c>[Trait("Category", "Kernel")]</c> and <see cref="KernelFactAttribute"/>.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelCollection
{
    public const string Name = "Kernel";
}
