using System.Net.Sockets;
using System.Text.Json;
using Akka.Actor;
using FsAudit.Actors.Subscribers;

namespace FsAudit.Host.Server;

/// <param name="Status">The daemon's status as one JSON object (UTF-8, no newline); the server adds "subscribers" and "socket".</param>
/// <param name="Hub">The <see cref="SubscriberHub{TEvent}"/>; null when the daemon serves no subscriptions.</param>
/// <param name="Catalog">Known classes and events, to reject typos in subscriptions.</param>
/// <param name="History">The event journal (for <c>from</c> other than "now"); null when the daemon keeps none.</param>
/// <param name="Durable">Named subscribers' acks; null when the daemon keeps none (names are then labels only).</param>
public sealed record ControlHandlers(
    Func<CancellationToken, Task<byte[]>> Status, IActorRef? Hub, IEventCatalog? Catalog,
    IEventHistory? History = null, IDurableSubscriptions? Durable = null);

/// <param name="Accepted">Connections accepted.</param>
/// <param name="Refused">Connections refused: peer not allowed, or too many waiting.</param>
/// <param name="BadRequests">Requests answered with an error (bad JSON, oversize, unknown op/field/class, timeout).</param>
public readonly record struct ControlServerCounters(long Accepted, long Refused, long BadRequests);

/// <summary>
/// The daemon's local Unix socket, speaking newline-delimited JSON (docs/protocol.md): a client sends one
/// request line and gets <c>status</c> back, or a <c>subscribed</c> line followed by its event stream. Each
/// connection is independent: a client that is not allowed, sends garbage or an oversize line gets one
/// error line and is disconnected; nothing else is affected.
/// </summary>
public sealed class ControlServer : IAsyncDisposable
{
    /// <summary>Connections that have not yet become subscribers (or answered status) at one time.</summary>
    internal const int MaxPendingConnections = 32;
    private static readonly TimeSpan HubTimeout = TimeSpan.FromSeconds(5);
    internal static readonly TimeSpan FlushOnStop = TimeSpan.FromSeconds(2);

    private readonly SubscriberSettings _settings;
    private readonly ControlHandlers _handlers;
    private readonly PeerAccess _access;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly HashSet<Task> _connections = new();
    private readonly HashSet<SubscriberConnection> _subscribers = new();
    private int _pending, _disposed;
    private long _accepted, _refused, _badRequests;

    /// <summary>Binds and listens. Throws when another daemon answers on the path or the path is not a socket.</summary>
    public ControlServer(SubscriberSettings settings, ControlHandlers handlers)
    {
        _settings = settings;
        _handlers = handlers;
        _access = new PeerAccess(settings.AllowedUids, settings.AllowedGids);
        string path = settings.SocketPath;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        SocketFile.RemoveStale(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            SocketFile.ApplyAccess(path, settings.SocketMode, settings.SocketGroup);
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        _accepting = AcceptLoop();
    }

    public string SocketPath => _settings.SocketPath;

    public ControlServerCounters Counters =>
        new(Interlocked.Read(ref _accepted), Interlocked.Read(ref _refused), Interlocked.Read(ref _badRequests));

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested || Volatile.Read(ref _disposed) == 1) { return; }
            catch (SocketException) { continue; }
            Interlocked.Increment(ref _accepted);
            var serving = Serve(client);
            lock (_connections) _connections.Add(serving);
            _ = serving.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
        }
    }

    private async Task Serve(Socket client)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        bool pending = true;
        Interlocked.Increment(ref _pending);
        try
        {
            var peer = PeerCredentials.Get(client);
            if (!_access.Allows(peer, () => PeerCredentials.SupplementaryGroups(client)))
            {
                Interlocked.Increment(ref _refused);
                await Reply(stream, JsonLines.Error(_access.Refusal(peer)));
                return;
            }
            if (Volatile.Read(ref _pending) > MaxPendingConnections)
            {
                Interlocked.Increment(ref _refused);
                await Reply(stream, JsonLines.Error($"too many connections waiting to send a request (maximum {MaxPendingConnections})"));
                return;
            }

            var line = await ReadRequest(stream);
            if (line.Error != null)
            {
                await Fail(stream, line.Error);
                return;
            }
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line.Bytes); }
            catch (JsonException e)
            {
                await Fail(stream, $"request is not valid JSON: {e.Message}");
                return;
            }
            SubscriberConnection? subscribed = null;
            using (doc)
            {
                var request = doc.RootElement;
                string? op = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("op", out var o) && o.ValueKind == JsonValueKind.String
                    ? o.GetString() : null;
                switch (op)
                {
                    case "status":
                        await AnswerStatus(stream, request);
                        break;
                    case "subscribe":
                        subscribed = await StartSubscription(stream, request, peer);
                        break;
                    case null:
                        await Fail(stream, "request must be a JSON object with a string \"op\" (\"status\" or \"subscribe\")");
                        break;
                    default:
                        await Fail(stream, $"unknown op \"{op}\" (expected \"status\" or \"subscribe\")");
                        break;
                }
            }
            if (subscribed is not null)
            {
                Interlocked.Decrement(ref _pending);
                pending = false;
                lock (_subscribers) _subscribers.Add(subscribed);
                try { await subscribed.RunAsync(client, stream, _stop.Token); }
                finally { lock (_subscribers) _subscribers.Remove(subscribed); }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            if (pending) Interlocked.Decrement(ref _pending);
        }
    }

    private async Task<RequestLine> ReadRequest(Stream stream)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_settings.RequestTimeout);
        try
        {
            return await new LineReader(stream, _settings.MaxRequestBytes).ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return new RequestLine([], $"no request line within {_settings.RequestTimeout.TotalSeconds:0.#} s");
        }
    }

    private async Task AnswerStatus(Stream stream, JsonElement request)
    {
        foreach (var p in request.EnumerateObject())
            if (p.Name != "op")
            {
                await Fail(stream, $"unknown field \"{p.Name}\" (status takes no fields)");
                return;
            }
        byte[] daemon;
        HubStatus? hub = null;
        try
        {
            daemon = await _handlers.Status(_stop.Token);
            if (_handlers.Hub is { } h) hub = await h.Ask<HubStatus>(GetHubStatus.Instance, HubTimeout, _stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            await Reply(stream, JsonLines.Error($"status unavailable: {e.Message}"));
            return;
        }
        await Reply(stream, StatusLine(daemon, hub, Counters));
    }

    /// <summary>The daemon's properties, then "subscribers" (from the hub) and "socket" (this server's counters).</summary>
    internal static byte[] StatusLine(byte[] daemon, HubStatus? hub, ControlServerCounters counters)
    {
        using var doc = JsonDocument.Parse(daemon);
        return JsonLines.Object(w =>
        {
            w.WriteString("type", "status");
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
                foreach (var p in doc.RootElement.EnumerateObject())
                    if (p.Name is not ("type" or "subscribers" or "socket")) p.WriteTo(w);
            if (hub != null) HubStatusJson.WriteProperty(w, hub);
            w.WriteStartObject("socket");
            w.WriteNumber("accepted", counters.Accepted);
            w.WriteNumber("refused", counters.Refused);
            w.WriteNumber("bad-requests", counters.BadRequests);
            w.WriteEndObject();
        });
    }

    private async Task<SubscriberConnection?> StartSubscription(Stream stream, JsonElement request, SubscriberPeer peer)
    {
        if (_handlers.Hub is not { } hub || _handlers.Catalog is not { } catalog)
        {
            await Fail(stream, "this daemon serves no subscriptions");
            return null;
        }
        if (!SubscriptionRequest.TryParse(request, catalog, out var subscription, out var error))
        {
            await Fail(stream, error!);
            return null;
        }
        long? start;
        long? acked = null;
        try
        {
            (start, acked, var refusal) = await ResolveStart(subscription!);
            if (refusal != null)
            {
                await Fail(stream, refusal);
                return null;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            await Reply(stream, JsonLines.Error($"cannot read the event journal: {e.GetBaseException().Message}"));
            return null;
        }
        var buffer = new OutboundBuffer(_settings.BufferBytes, _settings.StallTime);
        object answer;
        try { answer = await hub.Ask<object>(new Subscribe(peer, subscription!, buffer, start), HubTimeout, _stop.Token); }
        catch (AskTimeoutException) { answer = "no answer within " + HubTimeout.TotalSeconds + " s"; }
        switch (answer)
        {
            case Subscribed s:
                var durable = subscription!.Name != null ? _handlers.Durable : null;
                if (durable != null)
                {
                    long? setAcked = acked is null || subscription.From is not null ? s.NextOffset - 1 : null;
                    try { await durable.RegisterAsync(subscription.Name!, subscription.Filter, setAcked, _stop.Token); }
                    catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
                    {
                        hub.Tell(new Unsubscribe(s.Id));
                        await Reply(stream, JsonLines.Error($"cannot record the durable subscription: {e.GetBaseException().Message}"));
                        return null;
                    }
                }
                await Reply(stream, JsonLines.Object(w =>
                {
                    w.WriteString("type", "subscribed");
                    w.WriteString("id", s.Id);
                    if (subscription.Name != null) w.WriteString("name", subscription.Name);
                    w.WriteNumber("offset", s.NextOffset);
                    if (durable != null)
                    {
                        w.WriteBoolean("durable", true);
                        if (acked is { } a) w.WriteNumber("acked", a);
                    }
                    w.WritePropertyName("filter");
                    subscription.Filter.WriteJson(w);
                    w.WriteNumber("buffer-bytes", buffer.CapacityBytes);
                }));
                return new SubscriberConnection(s.Id, hub, buffer, durable, subscription.Name);
            case SubscribeRefused r:
                buffer.Complete();
                await Fail(stream, r.Reason);
                return null;
            default:
                hub.Tell(new AbandonSubscribe(buffer));
                buffer.Complete();
                await Fail(stream, $"unexpected answer from the subscriber hub: {answer}");
                return null;
        }
    }

    /// <summary>
    /// The first offset to deliver: from <c>from</c> when given, else after a named subscriber's last ack, else now (null).
    /// </summary>
    private async Task<(long? Start, long? Acked, string? Refusal)> ResolveStart(SubscriptionRequest request)
    {
        long? acked = null;
        if (request.Name is { } name && _handlers.Durable is { } durable)
            acked = await durable.LastAckAsync(name, _stop.Token);
        var from = request.From;
        if (from is null) return (acked is { } a ? a + 1 : null, acked, null);
        if (from.Kind == StartKind.Now) return (null, acked, null);
        if (_handlers.History is not { } history)
            return (null, acked, $"this daemon keeps no event journal: \"from\":\"{from}\" is not available (only \"now\")");
        return from.Kind switch
        {
            StartKind.Earliest => (await history.OldestOffsetAsync(_stop.Token), acked, null),
            StartKind.Offset => (from.Offset, acked, null),
            _ => (await history.OffsetAtTimeAsync(from.Time, _stop.Token), acked, null),
        };
    }

    private Task Fail(Stream stream, string message)
    {
        Interlocked.Increment(ref _badRequests);
        return Reply(stream, JsonLines.Error(message));
    }

    private async Task Reply(Stream stream, byte[] line)
    {
        // A client that never reads its one reply line must not hold the connection open.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_settings.RequestTimeout);
        await stream.WriteAsync(line, timeout.Token);
    }

    /// <summary>
    /// Stops accepting, lets each subscriber receive what is already in its buffer (up to
    /// <see cref="FlushOnStop"/>; a stalled one gets nothing more), then closes every connection.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _listener.Dispose();
        SubscriberConnection[] subscribers;
        lock (_subscribers) subscribers = [.. _subscribers];
        foreach (var s in subscribers) s.Complete();
        Task[] open;
        lock (_connections) open = [.. _connections];
        try { await Task.WhenAll(open).WaitAsync(FlushOnStop); } catch { /* stalled subscribers: cancelled below */ }
        _stop.Cancel();
        try { await _accepting; } catch { /* stopping */ }
        try { await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(5)); } catch { /* stopping */ }
        try { File.Delete(_settings.SocketPath); } catch (IOException) { }
        _stop.Dispose();
    }
}
