namespace FsAudit.Host.Bench;

/// <summary>Audit disabled (enabled=0), no reader: the speed of the workload alone.</summary>
public sealed class OffMode(ModeContext context) : IBenchModeRun
{
    public BenchMode Mode => BenchMode.Off;
    public IReadOnlyList<string> Notes => [];

    public Task StartAsync(CancellationToken ct)
    {
        if (context.Kernel.GetStatus().Enabled != 0) context.Kernel.SetEnabled(0);
        return Task.CompletedTask;
    }

    public Task<ModeSample> SampleAsync(bool final, CancellationToken ct) => Task.FromResult(ModeSample.None);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
