using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FsAudit.Actors.Subscribers;

namespace FsAudit.Host.Verbs;

/// <summary>Options of <c>fsaudit subscribe</c>; empty lists and nulls leave that field out of the filter.</summary>
public sealed record SubscribeOptions
{
    public const string DefaultSocketPath = "/run/fsaudit/fsaudit.sock";

    public string SocketPath { get; init; } = DefaultSocketPath;
    /// <summary>A durable subscription's name: the daemon remembers what this client acknowledged and resumes after it.</summary>
    public string? Name { get; init; }
    /// <summary>"now", "earliest", an offset or a time; null = "now", or for a named subscriber: after its last ack.</summary>
    public string? From { get; init; }
    public FilterFields Filter { get; init; } = new();
    /// <summary>Exit after this many events.</summary>
    public int? Count { get; init; }
    /// <summary>Exit when no line arrived for this long.</summary>
    public TimeSpan? IdleTimeout { get; init; }
}

/// <summary>
/// <c>fsaudit subscribe</c>: subscribes on the daemon's socket and prints one JSON event per line on stdout;
/// gap notices go to stderr. Exit codes: 0 = done (count reached, idle timeout), 1 = daemon not reachable or
/// connection lost, 2 = subscription refused, 130 = interrupted.
/// </summary>
public static class SubscribeVerb
{
    public const int Ok = 0, Unreachable = 1, Refused = 2, Interrupted = 130;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(SubscribeOptions o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (o.Count is <= 0)
        {
            await stderr.WriteLineAsync("fsaudit subscribe: --count must be at least 1");
            return Refused;
        }
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        if (await Connect(socket, o.SocketPath, stderr, ct) is { } failed) return failed;

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024);
        try
        {
            await stream.WriteAsync(Request(o), ct);

            var first = await ReadLine(reader, ReplyTimeout, ct);
            if (first is null)
            {
                await stderr.WriteLineAsync($"fsaudit subscribe: the daemon at {o.SocketPath} closed the connection without answering");
                return Unreachable;
            }
            var (type, error) = Control(first);
            if (type == "error")
            {
                await stderr.WriteLineAsync($"fsaudit subscribe: refused: {error}");
                return Refused;
            }
            if (type != "subscribed")
            {
                await stderr.WriteLineAsync($"fsaudit subscribe: unexpected answer: {first}");
                return Unreachable;
            }
            var acks = o.Name != null ? new AckWriter(stream) : null;
            try { return await Relay(reader, o, stdout, stderr, acks, ct); }
            finally
            {
                // Whatever was printed is acknowledged, also on idle timeout, --count and Ctrl-C.
                if (acks != null) await acks.FlushAsync();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Interrupted;
        }
        catch (IOException e)
        {
            await stderr.WriteLineAsync($"fsaudit subscribe: connection to {o.SocketPath} lost: {e.Message}");
            return Unreachable;
        }
    }

    private static async Task<int> Relay(StreamReader reader, SubscribeOptions o, TextWriter stdout, TextWriter stderr, AckWriter? acks, CancellationToken ct)
    {
        long received = 0;
        while (true)
        {
            string? line;
            try { line = await ReadLine(reader, o.IdleTimeout, ct); }
            catch (TimeoutException) { return Ok; }
            if (line is null)
            {
                await stderr.WriteLineAsync("fsaudit subscribe: the daemon closed the connection");
                return Unreachable;
            }
            if (line.StartsWith("{\"offset\":", StringComparison.Ordinal))
            {
                await stdout.WriteLineAsync(line);
                if (acks != null)
                {
                    await stdout.FlushAsync(ct);
                    await acks.PrintedAsync(line);
                }
                if (++received == o.Count) return Ok;
                continue;
            }
            var (type, error) = Control(line);
            if (type == "error")
            {
                await stderr.WriteLineAsync($"fsaudit subscribe: {error}");
                return Unreachable;
            }
            await stderr.WriteLineAsync(line); // gap notices and anything newer than this client
        }
    }

    /// <summary>One line; throws <see cref="TimeoutException"/> when <paramref name="timeout"/> passes first.</summary>
    private static async Task<string?> ReadLine(StreamReader reader, TimeSpan? timeout, CancellationToken ct)
    {
        if (timeout is null) return await reader.ReadLineAsync(ct);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(timeout.Value);
        try { return await reader.ReadLineAsync(idle.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { throw new TimeoutException(); }
    }

    private static async Task<int?> Connect(Socket socket, string path, TextWriter stderr, CancellationToken ct)
    {
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            return null;
        }
        catch (SocketException e)
        {
            string why = !Path.Exists(path) ? $"fsaudit is not running (no socket at {path})" : e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"fsaudit is not running (nothing listens on {path})",
                SocketError.AccessDenied => $"permission denied on {path} (see fsaudit.subscribers.socket-mode/socket-group)",
                _ => $"cannot connect to {path}: {e.Message}",
            };
            await stderr.WriteLineAsync($"fsaudit subscribe: {why}");
            return e.SocketErrorCode == SocketError.AccessDenied ? Refused : Unreachable;
        }
    }

    internal static byte[] Request(SubscribeOptions o) => JsonLines.Object(w =>
    {
        w.WriteString("op", "subscribe");
        if (o.Name != null) w.WriteString("name", o.Name);
        o.Filter.Write(w);
        // A named subscriber without --from resumes after its last ack: "now" would move it.
        if (o.From != null) w.WriteString("from", o.From);
        else if (o.Name == null) w.WriteString("from", "now");
    });

    /// <summary>
    /// Acknowledges printed events to the daemon: cumulative, so one ack per 1000 events or 200 ms is enough, plus
    /// a final one when the client stops. An ack follows the flush of what it covers.
    /// </summary>
    private sealed class AckWriter(Stream stream)
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
        private long _printed, _acked, _sinceAck;
        private DateTime _lastAck = DateTime.UtcNow;

        public async Task PrintedAsync(string line)
        {
            if (!TryOffset(line, out long offset)) return;
            _printed = offset;
            if (++_sinceAck >= 1000 || DateTime.UtcNow - _lastAck >= Interval) await FlushAsync();
        }

        public async Task FlushAsync()
        {
            if (_printed <= _acked) return;
            try
            {
                await stream.WriteAsync(JsonLines.Object(w =>
                {
                    w.WriteString("op", "ack");
                    w.WriteNumber("offset", _printed);
                }));
                _acked = _printed;
                _sinceAck = 0;
                _lastAck = DateTime.UtcNow;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException) { /* connection gone: the daemon re-delivers the tail */ }
        }

        private static bool TryOffset(string line, out long offset)
        {
            offset = 0;
            const string prefix = "{\"offset\":";
            int end = prefix.Length;
            while (end < line.Length && char.IsAsciiDigit(line[end])) end++;
            return end > prefix.Length && long.TryParse(line.AsSpan(prefix.Length, end - prefix.Length), out offset);
        }
    }

    /// <summary>The "type" and "error" of a control line; (null, null) when the line is not one.</summary>
    private static (string? Type, string? Error) Control(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, null);
            string? type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            string? error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            return (type, error);
        }
        catch (JsonException) { return (null, null); }
    }
}
