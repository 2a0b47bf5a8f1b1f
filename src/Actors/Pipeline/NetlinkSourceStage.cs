using Akka.Streams;
using Akka.Streams.Stage;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// Emits the <see cref="RecordBatch"/>es the reader thread put in the <see cref="RecordBuffer"/>, one per
/// pull. With no demand it emits nothing and the buffer fills, then spills; it never slows the reader.
/// The reader thread wakes it through an async callback. Completes once the reader has stopped and
/// everything buffered (memory and disk) was emitted; fails afterwards if the reader failed.
/// Materialize once: it consumes the buffer.
/// </summary>
internal sealed class NetlinkSourceStage : GraphStage<SourceShape<RecordBatch>>
{
    private readonly RecordBuffer _buffer;

    public NetlinkSourceStage(RecordBuffer buffer)
    {
        _buffer = buffer;
        Shape = new SourceShape<RecordBatch>(Out);
    }

    public Outlet<RecordBatch> Out { get; } = new("NetlinkSource.out");

    public override SourceShape<RecordBatch> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName("netlink-source");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly NetlinkSourceStage _stage;

        public Logic(NetlinkSourceStage stage) : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            var wake = GetAsyncCallback(TryEmit);
            _stage._buffer.SetWakeup(wake);
        }

        public override void OnPull() => TryEmit();

        private void TryEmit()
        {
            if (!IsAvailable(_stage.Out)) return;
            switch (_stage._buffer.TryTake(out var batch, out var failure))
            {
                case TakeResult.Batch:
                    Push(_stage.Out, batch!);
                    break;
                case TakeResult.Completed:
                    if (failure is null) CompleteStage();
                    else FailStage(failure);
                    break;
                case TakeResult.Empty:
                    break; // the buffer calls the wake-up when records arrive
            }
        }
    }
}
