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
/// <param name="durable">Where acks of a named subscriber go; null when the subscriber is not durable (acks are then ignored).</param>
internal sealed class SubscriberConnection(string id, IActorRef hub, OutboundBuffer buffer,
    IDurableSubscriptions? durable = null, string? name = null)
{
    private const int MaxClientLine = 4096;

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
    /// Reads the client's lines after the subscription: <c>{"op":"ack","offset":N}</c> acknowledges (durable
    /// subscribers); anything else gets a warning line and is otherwise ignored. End of input may be a half-close
    /// (<c>echo ... | socat</c> keeps reading), so the subscription ends only when the socket reports a hang-up or an error.
    /// </summary>
    private async Task WatchPeer(Socket client, CancellationToken ct)
    {
        var chunk = new byte[4096];
        var line = new List<byte>(128);
        bool overlong = false;
        try
        {
            int n;
            while ((n = await client.ReceiveAsync(chunk, SocketFlags.None, ct)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    byte b = chunk[i];
                    if (b != (byte)'\n')
                    {
                        if (line.Count < MaxClientLine) line.Add(b);
                        else overlong = true;
                        continue;
                    }
                    if (overlong) Warn($"line longer than {MaxClientLine} bytes ignored");
                    else HandleClientLine(line.ToArray());
                    line.Clear();
                    overlong = false;
                }
            }
        }
        catch (SocketException) { return; }
        while (!HungUp(client)) await Task.Delay(HangupPoll, ct);
    }

    private void HandleClientLine(byte[] bytes)
    {
        var text = System.Text.Encoding.UTF8.GetString(bytes).Trim();
        if (text.Length == 0) return;
        long offset;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            var r = doc.RootElement;
            if (r.ValueKind != System.Text.Json.JsonValueKind.Object || !r.TryGetProperty("op", out var op) || op.GetString() != "ack")
            {
                Warn("only {\"op\":\"ack\",\"offset\":N} is accepted after subscribing; line ignored");
                return;
            }
            if (!r.TryGetProperty("offset", out var o) || !o.TryGetInt64(out offset) || offset < 1)
            {
                Warn("ack needs \"offset\": an integer >= 1; line ignored");
                return;
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            Warn("line is not valid JSON; ignored");
            return;
        }
        if (durable == null || name == null)
        {
            Warn("ack ignored: only a named subscriber of a daemon with a journal is durable");
            return;
        }
        long last = buffer.LastOffset;
        if (offset > last)
        {
            Warn($"ack {offset} is beyond the last event sent ({last}); acknowledged {last} instead");
            offset = last;
            if (offset < 1) return;
        }
        durable.Ack(name, offset);
    }

    private void Warn(string message) => buffer.OfferNotice(JsonLines.Object(w =>
    {
        w.WriteString("type", "warning");
        w.WriteString("warning", message);
    }), isGap: false);

    private static unsafe bool HungUp(Socket client)
    {
        var fd = new pollfd { fd = (int)client.Handle, events = 0 }; // POLLHUP and POLLERR are always reported
        return LibC.poll(&fd, 1, 0) != 0 && (fd.revents & (LibC.POLLHUP | LibC.POLLERR)) != 0;
    }
}
