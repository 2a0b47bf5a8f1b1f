using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace FsAudit.Host.Bench;

/// <summary>
/// K subscribers of the daemon's socket, each subscribed to every event, counting the lines they receive
/// (events start with <c>{"offset"</c>; gap notices with <c>{"type":"gap"</c>). Stalled subscribers subscribe
/// the same way and then never read: their socket fills and the daemon must hold them in bounded memory.
/// </summary>
public sealed class SubscriberClients(string socketPath, int count, int stalled = 0)
{
    private readonly List<Client> _stalled = [];

    private readonly List<Client> _clients = [];
    private readonly CancellationTokenSource _stop = new();

    public async Task StartAsync(CancellationToken ct)
    {
        await SubscribeAsync(_clients, count, "bench", ct);
        await SubscribeAsync(_stalled, stalled, "bench-stalled", ct);
        foreach (var c in _clients.Where(c => c.Refused is null)) c.Reading = c.ReadAsync(_stop.Token);
    }

    private async Task SubscribeAsync(List<Client> into, int n, string prefix, CancellationToken ct)
    {
        for (int i = 0; i < n; i++)
        {
            var client = new Client($"{prefix}-{i}");
            into.Add(client);
            await client.SubscribeAsync(socketPath, ct);
            if (client.Refused is not null) break; // the same answer for the others
        }
    }

    /// <summary>Waits (bounded) for the daemon to close the streams, then reports what each received.</summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        var reading = _clients.Where(c => c.Reading is not null).Select(c => c.Reading!).ToArray();
        await Task.WhenAny(Task.WhenAll(reading), Task.Delay(TimeSpan.FromSeconds(10)));
        _stop.Cancel();
        try { await Task.WhenAll(reading); }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException) { }
        foreach (var c in _clients.Concat(_stalled)) c.Dispose();

        var notes = new List<string>();
        if (_clients.Concat(_stalled).FirstOrDefault(c => c.Refused is not null) is { } refused)
            return [$"subscribers: refused by the daemon: {refused.Refused}"];
        if (_clients.Count > 0)
        {
            var events = _clients.Select(c => c.Events).ToArray();
            notes.Add($"{_clients.Count} subscribers received {events.Min()}..{events.Max()} events each, {_clients.Sum(c => c.Gaps)} gap notices");
        }
        if (_stalled.Count > 0) notes.Add($"{_stalled.Count} stalled subscribers subscribed to every event and never read");
        return notes;
    }

    private sealed class Client(string name) : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly byte[] _buffer = new byte[256 * 1024];
        private int _start, _end;

        public string? Refused { get; private set; }
        public long Events { get; private set; }
        public long Gaps { get; private set; }
        public Task? Reading { get; set; }

        public async Task SubscribeAsync(string path, CancellationToken ct)
        {
            await _socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            await _socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"op\":\"subscribe\",\"name\":\"{name}\"}}\n"), ct);
            string? first = await ReadFirstLineAsync(ct);
            if (first is null) Refused = "the daemon closed the connection";
            else if (!first.Contains("\"subscribed\"", StringComparison.Ordinal)) Refused = ErrorText(first);
        }

        private static string ErrorText(string line)
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() ?? line : line;
            }
            catch (JsonException) { return line; }
        }

        private async Task<string?> ReadFirstLineAsync(CancellationToken ct)
        {
            while (true)
            {
                int nl = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (nl >= 0)
                {
                    string line = Encoding.UTF8.GetString(_buffer, _start, nl);
                    _start += nl + 1;
                    return line;
                }
                if (_end == _buffer.Length) return null;
                int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), ct);
                if (n == 0) return null;
                _end += n;
            }
        }

        public async Task ReadAsync(CancellationToken ct)
        {
            while (true)
            {
                Count();
                if (_start > 0)
                {
                    _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                    (_start, _end) = (0, _end - _start);
                }
                if (_end == _buffer.Length) _start = _end = 0; // a line longer than the buffer: skip it
                int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), ct);
                if (n == 0) return;
                _end += n;
            }
        }

        /// <summary>Counts the complete lines between _start and _end.</summary>
        private void Count()
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            int consumed = 0;
            while (true)
            {
                int nl = span[consumed..].IndexOf((byte)'\n');
                if (nl < 0) break;
                var line = span.Slice(consumed, nl);
                if (line.StartsWith("{\"offset\""u8)) Events++;
                else if (line.IndexOf("\"type\":\"gap\""u8) >= 0) Gaps++;
                consumed += nl + 1;
            }
            _start += consumed;
        }

        public void Dispose() => _socket.Dispose();
    }
}
