using FsAudit.Actors.Correlation;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>How records become events: the per-actor assembler, and what runs once per record before routing.</summary>
/// <param name="AssemblerFactory">Called once per correlator actor (and again if one restarts).</param>
/// <param name="SerialOf">An event's serial, to merge the correlators' answers in serial order.</param>
public sealed record CorrelationSetup<TEvent>(Func<IEventAssembler<TEvent>> AssemblerFactory, Func<TEvent, uint> SerialOf)
{
    /// <summary>Sees every record once, in stream order, before routing (serial gap tracking). Runs on the stream.</summary>
    public Action<AuditRecord>? BeforeRouting { get; init; }

    /// <summary>Serials never seen (from the gap tracker behind <see cref="BeforeRouting"/>); read from any thread.</summary>
    public Func<long>? PossiblyLostSerials { get; init; }

    /// <summary>The correlators' clock, in milliseconds.</summary>
    public Func<long> NowMs { get; init; } = () => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
