// A play stream (ENGINE_LINK.md, "Play streams"): actions go out as they happen, frames come
// back as the daemon produces them. The daemon coalesces actions that arrive while a frame is
// being made (latest action wins); this side keeps only the newest frame that was not taken
// yet, so a game loop that reads once per rendered frame always shows the freshest view and
// never works through a backlog.

using System;
using System.Threading;
using System.Threading.Tasks;

namespace GwmEngine
{
    public sealed class PlayStream : IReplySink, IDisposable
    {
        readonly EngineLink _link;
        readonly string _sessionId;
        readonly object _gate = new object();
        ulong _lastSeq;
        GwmFrame _latest;
        bool _untaken;
        int _framesReceived;
        bool _endSent;
        bool _ended;
        GwmLinkException _error;
        TaskCompletionSource<GwmFrame> _waiter;
        TaskCompletionSource<bool> _endReply;

        /// <summary>The request id naming this stream on the connection.</summary>
        public readonly uint Id;

        internal PlayStream(EngineLink link, string sessionId)
        {
            _link = link;
            _sessionId = sessionId;
            Id = link.Register(this);
        }

        public int FramesReceived { get { lock (_gate) return _framesReceived; } }

        /// <summary>The newest frame received, taken or not; null before the first.</summary>
        public GwmFrame LatestFrame { get { lock (_gate) return _latest; } }

        /// <summary>Why the stream ended early (a bad action, an unknown session, a lost
        /// connection); null while it runs or after a clean end.</summary>
        public GwmLinkException Error { get { lock (_gate) return _error; } }

        public bool IsEnded { get { lock (_gate) return _ended; } }

        /// <summary>Sends an action without waiting. A zero Seq is numbered after the last one
        /// sent, a zero ClientTimeUs is stamped with <see cref="EngineLink.NowUs"/>; the frame
        /// answering this action echoes both. Returns the seq sent.</summary>
        public ulong Send(CameraAction action)
        {
            if (action == null) throw new ArgumentNullException("action");
            action = action.Clone();
            lock (_gate)
            {
                if (_error != null) throw EngineLink.Copy(_error);
                if (_endSent) throw new InvalidOperationException("the play stream was ended");
                if (action.Seq == 0) action.Seq = _lastSeq + 1;
                _lastSeq = action.Seq;
            }
            if (action.ClientTimeUs == 0) action.ClientTimeUs = EngineLink.NowUs;
            Watch(_link.SendAsync("play", Id, action.ToFields(_sessionId)));
            return action.Seq;
        }

        /// <summary>The newest frame not taken yet, dropping older ones: call it once per game frame.</summary>
        public bool TryTakeLatest(out GwmFrame frame)
        {
            lock (_gate)
            {
                frame = _untaken ? _latest : null;
                _untaken = false;
                return frame != null;
            }
        }

        /// <summary>Waits for a frame not taken yet and takes the newest one.</summary>
        public async Task<GwmFrame> NextFrameAsync(CancellationToken cancellation = default(CancellationToken))
        {
            TaskCompletionSource<GwmFrame> waiter;
            lock (_gate)
            {
                if (_untaken)
                {
                    _untaken = false;
                    return _latest;
                }
                if (_error != null) throw EngineLink.Copy(_error);
                if (_ended) throw new InvalidOperationException("the play stream has ended");
                if (_waiter == null)
                    _waiter = new TaskCompletionSource<GwmFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
                waiter = _waiter;
            }
            try
            {
                return await WithDeadline(waiter, cancellation, "a frame").ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A waiter nobody awaits any more would swallow the next frame instead of leaving it untaken.
                lock (_gate)
                    if (_waiter == waiter) _waiter = null;
                throw;
            }
        }

        /// <summary>Half-closes the stream: the daemon answers what is pending (that frame is then
        /// the latest) and confirms with <c>play_end</c>. Throws the stream's error if it had one.</summary>
        public async Task EndAsync(CancellationToken cancellation = default(CancellationToken))
        {
            TaskCompletionSource<bool> reply;
            bool send;
            lock (_gate)
            {
                if (_error != null) throw EngineLink.Copy(_error);
                if (_ended) return;
                send = !_endSent;
                _endSent = true;
                if (_endReply == null)
                    _endReply = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                reply = _endReply;
            }
            if (send) await _link.SendAsync("play_end", Id, null).ConfigureAwait(false);
            await WithDeadline(reply, cancellation, "play_end").ConfigureAwait(false);
        }

        /// <summary>Ends the stream without waiting for the daemon's confirmation.</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                if (_ended || _endSent) return;
            }
            Watch(EndAsync());
        }

        async Task<T> WithDeadline<T>(TaskCompletionSource<T> source, CancellationToken cancellation, string what)
        {
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                deadline.CancelAfter(_link.CallTimeout);
                var expired = new TaskCompletionSource<T>();
                using (deadline.Token.Register(() => expired.TrySetResult(default(T))))
                {
                    var first = await Task.WhenAny(source.Task, expired.Task).ConfigureAwait(false);
                    if (first == source.Task) return await source.Task.ConfigureAwait(false);
                    cancellation.ThrowIfCancellationRequested();
                    throw GwmLinkException.Local(StatusCode.DeadlineExceeded,
                        "no " + what + " on play stream " + Id + " within " + _link.CallTimeout.TotalSeconds + " s", Id);
                }
            }
        }

        // A failed send ends the stream; observing the task here keeps its exception from going
        // unobserved when the caller fires and forgets.
        void Watch(Task sending)
        {
            sending.ContinueWith(t => Fail((t.Exception.InnerException as GwmLinkException)
                    ?? GwmLinkException.Local(StatusCode.Unavailable, t.Exception.InnerException.Message, Id)),
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        }

        bool IReplySink.Deliver(string type, uint id, MsgMap message)
        {
            if (type == "play")
            {
                var frame = GwmFrame.FromFields(message);
                TaskCompletionSource<GwmFrame> waiter;
                lock (_gate)
                {
                    _latest = frame;
                    _framesReceived++;
                    waiter = _waiter;
                    _waiter = null;
                    _untaken = waiter == null;
                }
                if (waiter != null) waiter.TrySetResult(frame);
                return false;
            }
            if (type == "play_end")
            {
                TaskCompletionSource<GwmFrame> waiter;
                TaskCompletionSource<bool> endReply;
                lock (_gate)
                {
                    _ended = true;
                    waiter = _waiter;
                    _waiter = null;
                    endReply = _endReply;
                }
                if (waiter != null) waiter.TrySetException(new InvalidOperationException("the play stream has ended"));
                if (endReply != null) endReply.TrySetResult(true);
                return true;
            }
            Fail(type == "error"
                ? EngineLink.ErrorFrom(message, id)
                : GwmLinkException.Local(StatusCode.Internal, "a play stream was answered by a '" + type + "' message", id));
            return true;
        }

        void IReplySink.Fail(GwmLinkException error)
        {
            Fail(error);
        }

        void Fail(GwmLinkException error)
        {
            TaskCompletionSource<GwmFrame> waiter;
            TaskCompletionSource<bool> endReply;
            lock (_gate)
            {
                if (_ended) return;
                _ended = true;
                _error = error;
                waiter = _waiter;
                _waiter = null;
                endReply = _endReply;
            }
            _link.Unregister(Id, this);
            if (waiter != null) waiter.TrySetException(error);
            if (endReply != null) endReply.TrySetException(error);
        }
    }
}
