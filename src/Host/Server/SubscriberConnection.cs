using System.Net.Sockets;
using Akka.Actor;
using FsAudit.Actors.Subscribers;
using Tmds.Linux;

namespace FsAudit.Host.Server;

/// <summary>
/// A subscribed connection: drains the subscriber's buffer to the socket and watches for the peer going away.
/// A peer that stops reading only stalls this writer (its buffer then counts misses); a peer that disconnects
/// ends the subscription.
/// </summary>
internal sealed class SubscriberConnection(string id, IActorRef hub, OutboundBuffer buffer)
{
    private const int WriteChunk = 64 * 1024;
    private static readonly TimeSpan HangupPoll = TimeSpan.FromMilliseconds(500);

    /// <summary>No more events: the writer sends what is buffered and the connection ends.</summary>
    public void Complete() => buffer.Complete();

    public async Task RunAsync(Socket client, Stream stream, CancellationToken stop)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            var writing = WriteLoop(stream, cts.Token);
            var watching = WatchPeer(client, cts.Token);
            await Task.WhenAny(writing, watching);
            cts.Cancel();
            try { await Task.WhenAll(writing, watching); }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        }
        finally
        {
            hub.Tell(new Unsubscribe(id));
            buffer.Complete();
        }
    }

    private async Task WriteLoop(Stream stream, CancellationToken ct)
    {
        var lines = new List<byte[]>();
        var chunk = new byte[WriteChunk];
        while (await buffer.WaitAsync(ct))
        {
            lines.Clear();
            int bytes = buffer.TakeInto(lines, WriteChunk);
            if (lines.Count == 1)
            {
                await stream.WriteAsync(lines[0], ct);
                continue;
            }
            int at = 0;
            foreach (var line in lines)
            {
                line.CopyTo(chunk, at);
                at += line.Length;
            }
            await stream.WriteAsync(chunk.AsMemory(0, bytes), ct);
        }
    }

    /// <summary>
    /// Input after the subscription is ignored. End of input may be a half-close (<c>echo ... | socat</c> keeps
    /// reading), so the subscription ends only when the socket reports a hang-up or an error.
    /// </summary>
    private static async Task WatchPeer(Socket client, CancellationToken ct)
    {
        var sink = new byte[4096];
        try
        {
            while (await client.ReceiveAsync(sink, SocketFlags.None, ct) > 0) { }
        }
        catch (SocketException) { return; }
        while (!HungUp(client)) await Task.Delay(HangupPoll, ct);
    }

    private static unsafe bool HungUp(Socket client)
    {
        var fd = new pollfd { fd = (int)client.Handle, events = 0 }; // POLLHUP and POLLERR are always reported
        return LibC.poll(&fd, 1, 0) != 0 && (fd.revents & (LibC.POLLHUP | LibC.POLLERR)) != 0;
    }
}
