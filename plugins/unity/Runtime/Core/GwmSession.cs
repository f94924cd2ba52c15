using System.Threading;
using System.Threading.Tasks;

namespace GwmEngine
{
    /// <summary>One world on the daemon. Sessions belong to the daemon, not to the connection:
    /// they outlive it until closed or idle-evicted (GetInfo's idle_timeout_s).</summary>
    public sealed class GwmSession
    {
        public readonly EngineLink Link;
        public readonly SessionInfo Info;
        /// <summary>The seed view at the start pose (seq 0); null for forked and loaded sessions,
        /// which produce their first frame on their first step.</summary>
        public readonly GwmFrame FirstFrame;

        internal GwmSession(EngineLink link, SessionInfo info, GwmFrame firstFrame)
        {
            Link = link;
            Info = info;
            FirstFrame = firstFrame;
        }

        public string Id { get { return Info.SessionId; } }

        /// <summary>One action, one frame. An idle action re-renders the current view.</summary>
        public async Task<GwmFrame> StepAsync(CameraAction action, CancellationToken cancellation = default(CancellationToken))
        {
            var reply = await Link.CallAsync("step", (action ?? new CameraAction()).ToFields(Id), cancellation).ConfigureAwait(false);
            return GwmFrame.FromFields(reply);
        }

        /// <summary>Opens a play stream: send actions as they happen, read the latest frame when
        /// convenient (<see cref="PlayStream"/>).</summary>
        public PlayStream Play()
        {
            return new PlayStream(Link, Id);
        }

        /// <summary>A new, independent session with this world and pose (same size and encodings).</summary>
        public async Task<GwmSession> ForkAsync(CancellationToken cancellation = default(CancellationToken))
        {
            var reply = await Link.CallAsync("fork", IdField(), cancellation).ConfigureAwait(false);
            return new GwmSession(Link, SessionInfo.FromFields(Fields.Map(reply, "session")), null);
        }

        /// <summary>The world as a file ("gwm-world" msgpack) for <see cref="EngineLink.LoadWorldAsync"/>.</summary>
        public async Task<byte[]> SaveWorldAsync(CancellationToken cancellation = default(CancellationToken))
        {
            var reply = await Link.CallAsync("save_world", IdField(), cancellation).ConfigureAwait(false);
            return Fields.Bytes(reply, "world");
        }

        /// <summary>The world as a coloured point cloud (binary PLY, world.proto frame: mirror z
        /// for Unity, <see cref="UnityPose.PointToUnity"/>).</summary>
        public async Task<GeometryExport> ExportGeometryAsync(CancellationToken cancellation = default(CancellationToken))
        {
            var reply = await Link.CallAsync("export_geometry", IdField(), cancellation).ConfigureAwait(false);
            return GeometryExport.FromFields(reply);
        }

        /// <summary>The world as a file of the given format. Glb: read it with
        /// <see cref="GlbWorld.Read"/> for the world's surfaces (vertex colours) and a collision
        /// mesh of at most <paramref name="collisionFaces"/> triangles (0: the daemon's default,
        /// 20000; otherwise 100..1000000). Needs a 1.1.0 daemon.</summary>
        public async Task<GeometryExport> ExportGeometryAsync(GeometryFormat format, int collisionFaces = 0,
            CancellationToken cancellation = default(CancellationToken))
        {
            var fields = IdField();
            if (format != GeometryFormat.Unspecified && format != GeometryFormat.Ply) fields.Add("format", (long)format);
            if (collisionFaces != 0) fields.Add("collision_faces", collisionFaces);
            var reply = await Link.CallAsync("export_geometry", fields, cancellation).ConfigureAwait(false);
            return GeometryExport.FromFields(reply);
        }

        /// <summary>Back to the start pose (where the seed was seen); the frame there shows the
        /// seed's view again. The world keeps what it grew. Needs a 1.1.0 daemon.</summary>
        public async Task<GwmFrame> ResetAsync(CancellationToken cancellation = default(CancellationToken))
        {
            var fields = IdField().Add("client_time_us", EngineLink.NowUs);
            var reply = await Link.CallAsync("reset", fields, cancellation).ConfigureAwait(false);
            return GwmFrame.FromFields(reply);
        }

        public Task CloseAsync(CancellationToken cancellation = default(CancellationToken))
        {
            return Link.CallAsync("close_session", IdField(), cancellation);
        }

        MsgMap IdField()
        {
            return new MsgMap().Add("session_id", Id);
        }
    }
}
