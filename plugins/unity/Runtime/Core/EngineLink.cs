// One engine-link connection (proto/ENGINE_LINK.md): a WebSocket carrying one msgpack map per
// binary message. Requests are numbered from 1 and their replies matched by id, so any number of
// calls and play streams share the connection; a background loop receives, a single pump sends
// (a WebSocket takes one send at a time, and play actions must leave in the order they were made).
//
//     var link = await EngineLink.ConnectAsync("ws://127.0.0.1:50052/link");
//     var session = await link.CreateSessionAsync(new CreateSessionRequest { SeedImage = png, Width = 256, Height = 256, FovDeg = 60 });
//     var frame = await session.StepAsync(CameraAction.Move(0, 0, 0.1));
//     var stream = session.Play(); stream.Send(CameraAction.Turn(2, 0, 0)); ... stream.TryTakeLatest(out frame);
//
// Every await inside uses ConfigureAwait(false): nothing here needs (or may block) the caller's
// thread, which in Unity is the main thread. Continuations of the public tasks run where the
// caller awaits them (in Unity: back on the main thread).

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;

namespace GwmEngine
{
    public sealed class EngineLink : IDisposable
    {
        /// <summary>The gwm.v1 protocol version this client was built against.</summary>
        public const string ProtocolVersion = "1.1.0";

        /// <summary>How long a call waits for its reply before failing with DEADLINE_EXCEEDED.</summary>
        public TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

        /// <summary>The daemon's <c>hello</c> reply: its version and message size limit.</summary>
        public HelloReply Server { get; private set; }

        public string Url { get; private set; }

        /// <summary>Errors that answer no open request (id 0: a message the daemon could not read),
        /// and replies this client could not read. Raised on the receive thread.</summary>
        public event Action<GwmLinkException> UnmatchedError;

        static readonly Stopwatch Clock = Stopwatch.StartNew();

        readonly ClientWebSocket _ws = new ClientWebSocket();
        readonly CancellationTokenSource _stop = new CancellationTokenSource();
        readonly object _gate = new object();
        readonly Dictionary<uint, IReplySink> _open = new Dictionary<uint, IReplySink>();
        readonly Queue<Outgoing> _outbox = new Queue<Outgoing>();
        bool _pumping;
        uint _lastId;
        GwmLinkException _closed;
        Task _receiver = Task.FromResult(true);

        EngineLink(string url) { Url = url; }

        /// <summary>Connects to <c>ws://HOST:PORT/link</c> and does the <c>hello</c> handshake.
        /// Fails with UNAVAILABLE when nothing answers, or with the daemon's error for the hello
        /// (UNAUTHENTICATED for a missing or wrong token, FAILED_PRECONDITION for a protocol major
        /// it does not speak).</summary>
        public static async Task<EngineLink> ConnectAsync(string url, string token = null,
            CancellationToken cancellation = default(CancellationToken))
        {
            var link = new EngineLink(url);
            try
            {
                try
                {
                    await link._ws.ConnectAsync(new Uri(url), cancellation).ConfigureAwait(false);
                }
                catch (Exception e) when (!(e is OperationCanceledException))
                {
                    throw GwmLinkException.Local(StatusCode.Unavailable, "cannot connect to " + url + ": " + Innermost(e), 0);
                }
                link._receiver = Task.Run(() => link.ReceiveLoop());
                var hello = new MsgMap().Add("protocol_version", ProtocolVersion);
                if (!string.IsNullOrEmpty(token)) hello.Add("token", token);
                link.Server = HelloReply.FromFields(await link.CallAsync("hello", hello, cancellation).ConfigureAwait(false));
                return link;
            }
            catch
            {
                link.Dispose();
                throw;
            }
        }

        public bool IsConnected
        {
            get { lock (_gate) return _closed == null && _ws.State == WebSocketState.Open; }
        }

        /// <summary>Microseconds on a monotonic clock, for <c>client_time_us</c>: a frame's latency
        /// is <c>NowUs - frame.ClientTimeUs</c>.</summary>
        public static ulong NowUs
        {
            get { return (ulong)(Clock.ElapsedTicks * (1000000.0 / Stopwatch.Frequency)); }
        }

        /// <summary>Sends one request and returns its reply (the whole map, envelope included),
        /// as <c>LinkClient.call</c> does in Python; an <c>error</c> reply throws GwmLinkException.</summary>
        public async Task<MsgMap> CallAsync(string type, MsgMap fields, CancellationToken cancellation = default(CancellationToken))
        {
            var sink = new CallSink(type);
            uint id = Register(sink);
            try
            {
                using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
                {
                    deadline.CancelAfter(CallTimeout);
                    using (deadline.Token.Register(() => sink.Expire(cancellation, id, CallTimeout)))
                    {
                        await SendAsync(type, id, fields).ConfigureAwait(false);
                        return await sink.Reply.ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                Unregister(id, sink);
            }
        }

        public async Task<ServerInfo> GetInfoAsync(CancellationToken cancellation = default(CancellationToken))
        {
            return ServerInfo.FromFields(await CallAsync("get_info", new MsgMap(), cancellation).ConfigureAwait(false));
        }

        /// <summary>Seeds a world from one image; the session carries its first frame.</summary>
        public async Task<GwmSession> CreateSessionAsync(CreateSessionRequest request, CancellationToken cancellation = default(CancellationToken))
        {
            var reply = await CallAsync("create_session", request.ToFields(), cancellation).ConfigureAwait(false);
            return new GwmSession(this, SessionInfo.FromFields(Fields.Map(reply, "session")),
                GwmFrame.FromFields(Fields.Map(reply, "first_frame")));
        }

        /// <summary>A new session from a world file made by <see cref="GwmSession.SaveWorldAsync"/>.</summary>
        public async Task<GwmSession> LoadWorldAsync(LoadWorldRequest request, CancellationToken cancellation = default(CancellationToken))
        {
            var reply = await CallAsync("load_world", request.ToFields(), cancellation).ConfigureAwait(false);
            return new GwmSession(this, SessionInfo.FromFields(Fields.Map(reply, "session")), null);
        }

        /// <summary>A session opened elsewhere (another connection, or gRPC): sessions belong to
        /// the daemon, not to a connection.</summary>
        public GwmSession Attach(SessionInfo info)
        {
            return new GwmSession(this, info, null);
        }

        /// <summary>Closes the connection politely; open calls and streams fail with UNAVAILABLE.
        /// Sessions stay on the daemon until closed or idle-evicted.</summary>
        public async Task CloseAsync()
        {
            try
            {
                if (_ws.State == WebSocketState.Open)
                {
                    using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                        await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
                    await Task.WhenAny(_receiver, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
                }
            }
            catch (Exception)
            {
                // A connection that cannot close politely is aborted below: the outcome is the same.
            }
            Dispose();
        }

        public void Dispose()
        {
            Shutdown(GwmLinkException.Local(StatusCode.Unavailable, "the link was closed", 0));
            _stop.Cancel();
            _ws.Abort();
            _ws.Dispose();
        }

        // ------------------------------------------------------------ requests and replies

        internal uint Register(IReplySink sink)
        {
            lock (_gate)
            {
                if (_closed != null) throw Copy(_closed);
                // Ids are uint32 from 1; 0 is the daemon's id for messages it could not read.
                do { _lastId = _lastId == uint.MaxValue ? 1 : _lastId + 1; } while (_open.ContainsKey(_lastId));
                _open[_lastId] = sink;
                return _lastId;
            }
        }

        internal void Unregister(uint id, IReplySink sink)
        {
            lock (_gate)
            {
                IReplySink current;
                if (_open.TryGetValue(id, out current) && current == sink) _open.Remove(id);
            }
        }

        /// <summary>Queues one message; the task completes once it was handed to the socket.</summary>
        internal Task SendAsync(string type, uint id, MsgMap fields)
        {
            var item = new Outgoing(EncodeMessage(type, id, fields));
            bool startPump;
            lock (_gate)
            {
                if (_closed != null) throw Copy(_closed);
                _outbox.Enqueue(item);
                startPump = !_pumping;
                _pumping = true;
            }
            if (startPump) Task.Run(() => Pump());
            return item.Sent.Task;
        }

        /// <summary>The envelope (<c>type</c>, <c>id</c>), then the fields in the order given.</summary>
        internal static byte[] EncodeMessage(string type, uint id, MsgMap fields)
        {
            var message = new MsgMap().Add("type", type).Add("id", id);
            if (fields != null)
                foreach (var field in fields) message.Add(field.Key, field.Value);
            return Msgpack.Encode(message);
        }

        async Task Pump()
        {
            while (true)
            {
                Outgoing next;
                lock (_gate)
                {
                    if (_outbox.Count == 0) { _pumping = false; return; }
                    next = _outbox.Dequeue();
                }
                try
                {
                    await _ws.SendAsync(new ArraySegment<byte>(next.Data), WebSocketMessageType.Binary, true, _stop.Token)
                        .ConfigureAwait(false);
                    next.Sent.TrySetResult(true);
                }
                catch (Exception e)
                {
                    var error = GwmLinkException.Local(StatusCode.Unavailable, "sending failed: " + Innermost(e), 0);
                    next.Sent.TrySetException(error);
                    Shutdown(error);
                }
            }
        }

        async Task ReceiveLoop()
        {
            var chunk = new byte[64 * 1024];
            var message = new MemoryStream();
            GwmLinkException reason;
            try
            {
                while (true)
                {
                    var result = await _ws.ReceiveAsync(new ArraySegment<byte>(chunk), _stop.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        reason = GwmLinkException.Local(StatusCode.Unavailable,
                            "the daemon closed the connection (" + result.CloseStatus + " " + result.CloseStatusDescription + ")", 0);
                        break;
                    }
                    message.Write(chunk, 0, result.Count);
                    var server = Server;
                    if (server != null && server.MaxMessageBytes > 0 && (ulong)message.Length > server.MaxMessageBytes)
                    {
                        reason = GwmLinkException.Local(StatusCode.ResourceExhausted,
                            "the daemon sent a message over its own limit of " + server.MaxMessageBytes + " bytes", 0);
                        break;
                    }
                    if (!result.EndOfMessage) continue;
                    if (result.MessageType == WebSocketMessageType.Binary) Dispatch(message.GetBuffer(), (int)message.Length);
                    message.SetLength(0);
                }
            }
            catch (Exception e)
            {
                reason = GwmLinkException.Local(StatusCode.Unavailable, "the connection was lost: " + Innermost(e), 0);
            }
            Shutdown(reason);
        }

        void Dispatch(byte[] buffer, int length)
        {
            MsgMap message;
            string type;
            uint id;
            try
            {
                message = Msgpack.Decode(buffer, 0, length) as MsgMap;
                if (message == null) throw new MsgpackException("a link message is a map");
                type = Fields.String(message, "type");
                ulong rawId = Fields.UInt(message, "id");
                if (rawId > uint.MaxValue) throw new MsgpackException("id " + rawId + " is not a uint32");
                id = (uint)rawId;
            }
            catch (Exception e)
            {
                Report(GwmLinkException.Local(StatusCode.Internal, "unreadable message from the daemon: " + e.Message, 0));
                return;
            }
            IReplySink sink;
            lock (_gate) _open.TryGetValue(id, out sink);
            if (sink == null)
            {
                // A reply to a call that already timed out is dropped; errors are still worth seeing.
                if (type == "error") Report(ErrorFrom(message, id));
                return;
            }
            bool finished;
            try
            {
                finished = sink.Deliver(type, id, message);
            }
            catch (Exception e)
            {
                sink.Fail(GwmLinkException.Local(StatusCode.Internal, "cannot read the '" + type + "' reply: " + e.Message, id));
                finished = true;
            }
            if (finished) Unregister(id, sink);
        }

        void Report(GwmLinkException error)
        {
            var handler = UnmatchedError;
            if (handler != null) handler(error);
        }

        void Shutdown(GwmLinkException reason)
        {
            List<IReplySink> open;
            List<Outgoing> unsent;
            lock (_gate)
            {
                if (_closed != null) return;
                _closed = reason;
                open = new List<IReplySink>(_open.Values);
                _open.Clear();
                unsent = new List<Outgoing>(_outbox);
                _outbox.Clear();
            }
            foreach (var sink in open) sink.Fail(Copy(reason));
            foreach (var item in unsent) item.Sent.TrySetException(Copy(reason));
        }

        internal static GwmLinkException ErrorFrom(MsgMap message, uint id)
        {
            return new GwmLinkException((StatusCode)Fields.UInt(message, "code"), Fields.String(message, "code_name"),
                Fields.String(message, "message"), id);
        }

        // Each thrower gets its own exception object: one instance thrown on many threads would
        // have its stack trace overwritten.
        internal static GwmLinkException Copy(GwmLinkException e)
        {
            return new GwmLinkException(e.Code, e.CodeName, e.ServerMessage, e.RequestId);
        }

        static string Innermost(Exception e)
        {
            while (e.InnerException != null) e = e.InnerException;
            return e.Message;
        }

        sealed class Outgoing
        {
            public readonly byte[] Data;
            public readonly TaskCompletionSource<bool> Sent =
                new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

            public Outgoing(byte[] data) { Data = data; }
        }

        sealed class CallSink : IReplySink
        {
            readonly string _type;
            readonly TaskCompletionSource<MsgMap> _reply =
                new TaskCompletionSource<MsgMap>(TaskCreationOptions.RunContinuationsAsynchronously);

            public CallSink(string type) { _type = type; }

            public Task<MsgMap> Reply { get { return _reply.Task; } }

            public bool Deliver(string type, uint id, MsgMap message)
            {
                if (type == "error") _reply.TrySetException(ErrorFrom(message, id));
                else if (type == _type) _reply.TrySetResult(message);
                else
                    _reply.TrySetException(GwmLinkException.Local(StatusCode.Internal,
                        "a '" + _type + "' request was answered by a '" + type + "' message", id));
                return true;
            }

            public void Fail(GwmLinkException error) { _reply.TrySetException(error); }

            public void Expire(CancellationToken callerToken, uint id, TimeSpan timeout)
            {
                if (callerToken.IsCancellationRequested) _reply.TrySetCanceled();
                else
                    _reply.TrySetException(GwmLinkException.Local(StatusCode.DeadlineExceeded,
                        "no reply to '" + _type + "' (id " + id + ") within " + timeout.TotalSeconds + " s", id));
            }
        }
    }

    /// <summary>Where the receive loop delivers the messages of one request id.</summary>
    internal interface IReplySink
    {
        /// <summary>Takes one message for this id; true when no more will come (the id is freed).</summary>
        bool Deliver(string type, uint id, MsgMap message);

        /// <summary>The connection is gone, or a reply could not be read.</summary>
        void Fail(GwmLinkException error);
    }
}
