using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace GwmEngine.Tests
{
    /// <summary>The core against a real daemon: everything a Unity scene does, without Unity.</summary>
    public static class DaemonTests
    {
        const int Width = 96, Height = 72;

        public static async Task Run(string url, string pngPath, string depthF16Path)
        {
            var clock = Stopwatch.StartNew();
            await RefusedConnection();

            var link = await EngineLink.ConnectAsync(url);
            Assert.True(link.Server.ProtocolVersion.StartsWith("1.") && link.Server.MaxMessageBytes > 64 * 1024 * 1024,
                "hello reply: " + link.Server.ProtocolVersion + ", " + link.Server.MaxMessageBytes);
            var info = await link.GetInfoAsync();
            Assert.True(info.MinSidePx <= Width && Width <= info.MaxSidePx && info.MaxMoveM > 0 && info.MaxTurnDeg > 0, "get_info limits");
            Console.WriteLine("OK hello: server " + link.Server.ServerVersion + ", protocol " + link.Server.ProtocolVersion + ", model " + info.ModelName);

            // The bundled sample is 512x384 with float16 metric depth; frames are smaller.
            var session = await link.CreateSessionAsync(new CreateSessionRequest
            {
                SeedImage = File.ReadAllBytes(pngPath),
                SeedDepth = File.ReadAllBytes(depthF16Path),
                SeedDepthEncoding = DepthEncoding.Float16,
                Width = Width,
                Height = Height,
                FovDeg = 60,
            });
            Assert.True(session.Info.Width == Width && session.Info.Height == Height && session.Info.Pose.Length == 16, "session info");
            Assert.True(session.Info.RgbEncoding == RgbEncoding.Raw && session.Info.DepthEncoding == DepthEncoding.Float32, "default encodings");
            CheckFrame(session.FirstFrame, 0, "first frame");
            Console.WriteLine("OK create_session: " + session.Id.Length + "-char id, first frame " + Width + "x" + Height);

            var stepped = await session.StepAsync(new CameraAction { Seq = 1, ClientTimeUs = 12345, MoveForwardM = 0.1 });
            CheckFrame(stepped, 1, "step");
            Assert.True(stepped.ClientTimeUs == 12345 && stepped.Index == session.FirstFrame.Index + 1,
                "step echoes client_time_us and counts steps: " + stepped.ClientTimeUs + ", index " + stepped.Index);
            Assert.True(Math.Abs(stepped.Pose[11] - session.Info.Pose[11] + 0.1) < 1e-9, "0.1 m forward is -0.1 m along world z");

            await Play(session);
            await Errors(link, session);
            await ForkSaveLoad(link, session);
            await Concurrent(link, session);
            await StereoEncoded(link, pngPath, depthF16Path);

            var ply = await session.ExportGeometryAsync();
            string header = Encoding.ASCII.GetString(ply.Ply, 0, Math.Min(ply.Ply.Length, 400));
            Assert.True(header.StartsWith("ply\n") && header.Contains("element vertex " + ply.PointCount + "\n") && ply.PointCount > 1000,
                "export_geometry: " + ply.PointCount + " points, header " + header.Split('\n')[0]);
            var cloud = PointCloud.FromPly(ply.Ply);
            Assert.True(cloud.Count == (int)ply.PointCount && cloud.Positions.All(v => !float.IsNaN(v) && !float.IsInfinity(v)), "point cloud");
            // The seed camera looked down the world's -z, which is Unity's +z.
            int ahead = Enumerable.Range(0, cloud.Count).Count(i => cloud.Positions[3 * i + 2] > 0);
            Assert.True(ahead > cloud.Count * 0.9, ahead + " of " + cloud.Count + " points in front of the start in Unity's frame");
            Console.WriteLine("OK export_geometry: " + ply.PointCount + " points, " + ply.Ply.Length + " bytes, read into Unity's frame");
            await ScaleResetGlb(link, session, pngPath, depthF16Path);

            await session.CloseAsync();
            var closed = await Fails(session.StepAsync(new CameraAction()), "step on a closed session");
            Assert.True(closed.Code == StatusCode.NotFound, "closed session: " + closed.Message);

            await link.CloseAsync();
            Assert.True(!link.IsConnected, "closed link still connected");
            var gone = await Fails(link.GetInfoAsync(), "get_info on a closed link");
            Assert.True(gone.Code == StatusCode.Unavailable, "closed link: " + gone.Message);
            Console.WriteLine("OK close: session NOT_FOUND after close_session, link UNAVAILABLE after close");
            Console.WriteLine("OK daemon tests in " + clock.ElapsedMilliseconds + " ms");
        }

        /// <summary>Protocol 1.1.0: the world's scale in SessionInfo (and a scale hint scaling it),
        /// walk mode, reset back to the start, and the world fetched and parsed as a .glb.</summary>
        static async Task ScaleResetGlb(EngineLink link, GwmSession session, string pngPath, string depthF16Path)
        {
            var info = session.Info;
            Assert.True(info.MedianDepthM > 0 && info.WalkSpeedMps > 0 && info.TurnRateDps > 0 && !info.Walk,
                "scale: median " + info.MedianDepthM + " m, " + info.WalkSpeedMps + " m/s, " + info.TurnRateDps + " deg/s");
            var doubled = await link.CreateSessionAsync(new CreateSessionRequest
            {
                SeedImage = File.ReadAllBytes(pngPath),
                SeedDepth = File.ReadAllBytes(depthF16Path),
                SeedDepthEncoding = DepthEncoding.Float16,
                Width = Width,
                Height = Height,
                FovDeg = 60,
                ScaleFactor = 2,
                Walk = true,
            });
            double ratio = doubled.Info.WalkSpeedMps / info.WalkSpeedMps;
            Assert.True(Math.Abs(ratio - 2) < 1e-3 && doubled.Info.Walk, "scale_factor 2 gives " + ratio + "x the speed");
            Assert.True(info.CameraHeightM.HasValue == doubled.Info.CameraHeightM.HasValue, "camera height present in both or neither");
            await doubled.CloseAsync();
            Console.WriteLine("OK scale: walk speed " + info.WalkSpeedMps.ToString("F3", CultureInfo.InvariantCulture) + " m/s, x2 with scale_factor 2, camera height "
                + (info.CameraHeightM.HasValue ? info.CameraHeightM.Value.ToString("F2", CultureInfo.InvariantCulture) + " m" : "absent"));

            await session.StepAsync(new CameraAction { MoveForwardM = 0.3, TurnYawDeg = 20 });
            var back = await session.ResetAsync();
            for (int i = 0; i < 16; i++) Assert.True(back.Pose[i] == (i % 5 == 0 ? 1.0 : 0.0), "reset pose[" + i + "] = " + back.Pose[i]);
            CheckFrame(back, 0, "reset frame");
            Console.WriteLine("OK reset: the start pose, frame " + back.Index);

            var export = await session.ExportGeometryAsync(GeometryFormat.Glb, 2000);
            Assert.True(export.Format == GeometryFormat.Glb && export.Glb.Length > 0 && export.Ply.Length == 0, "a glb export");
            var world = GlbWorld.Read(export.Glb);
            Assert.True(world.World != null && world.Collision != null, "meshes 'world' and 'collision'");
            Assert.True(world.World.TriangleCount == (int)export.FaceCount && world.World.VertexCount == (int)export.PointCount
                && world.World.Colors.Length == 4 * world.World.VertexCount, "world mesh counts");
            Assert.True(world.Collision.TriangleCount == (int)export.CollisionFaceCount && world.Collision.TriangleCount > 0
                && world.Collision.TriangleCount <= 2000 && world.Collision.Colors == null, "collision mesh: " + world.Collision.TriangleCount + " triangles");
            int ahead = 0;
            for (int i = 0; i < world.World.VertexCount; i++) if (world.World.Positions[3 * i + 2] > 0) ahead++;
            Assert.True(ahead > world.World.VertexCount * 0.9, ahead + " of " + world.World.VertexCount + " vertices in front of the start in Unity's frame");
            // Front faces wind clockwise in Unity: a triangle ahead of the start faces back at it.
            int facing = 0, n = world.World.TriangleCount;
            for (int t = 0; t < n; t++)
            {
                var p = world.World.Positions;
                int a = 3 * world.World.Triangles[3 * t], b = 3 * world.World.Triangles[3 * t + 1], c = 3 * world.World.Triangles[3 * t + 2];
                double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
                double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
                // The mirror and the swapped corners cancel in the plain cross product of the two
                // edges: it points out of the front, towards the camera that saw the triangle.
                double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
                if (nx * -p[a] + ny * -p[a + 1] + nz * -p[a + 2] > 0) facing++;
            }
            Assert.True(facing > n * 0.99, facing + " of " + n + " triangles face the start camera");
            Console.WriteLine("OK export_geometry glb: " + world.World.TriangleCount + " triangles with colours, collision "
                + world.Collision.TriangleCount + " of at most 2000, " + export.Glb.Length + " bytes");
        }

        static async Task RefusedConnection()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();  // a port nobody listens on
            var refused = await Fails(EngineLink.ConnectAsync("ws://127.0.0.1:" + port + "/link"), "connecting to a closed port");
            Assert.True(refused.Code == StatusCode.Unavailable, "closed port: " + refused.Message);
        }

        /// <summary>100 actions on one play stream: 50 in lockstep (one frame each, seq echoed
        /// exactly), then 50 at once (coalesced by the daemon: fewer frames, seqs increasing, the
        /// last frame answering the last action).</summary>
        static async Task Play(GwmSession session)
        {
            var stream = session.Play();
            for (int i = 0; i < 50; i++)
            {
                var action = i % 2 == 0 ? CameraAction.Turn(1.5, 0.2, 0) : CameraAction.Move(0.01, 0, 0.03);
                action.ClientTimeUs = 1700000000000000UL + (ulong)i;
                ulong seq = stream.Send(action);
                Assert.True(seq == (ulong)(i + 1), "seq numbering");
                var frame = await stream.NextFrameAsync();
                CheckFrame(frame, seq, "lockstep play");
                Assert.True(frame.ClientTimeUs == action.ClientTimeUs, "client_time_us echoed: " + frame.ClientTimeUs);
            }
            Assert.True(stream.FramesReceived == 50, "lockstep gives one frame per action, got " + stream.FramesReceived);

            var seen = new List<ulong>();
            var reader = Task.Run(async () =>
            {
                while (true)
                {
                    GwmFrame frame;
                    try { frame = await stream.NextFrameAsync(); }
                    catch (InvalidOperationException) { return; }  // the stream ended
                    CheckFrame(frame, 0, "burst play");
                    lock (seen) seen.Add(frame.Seq);
                }
            });
            for (int i = 0; i < 50; i++) stream.Send(CameraAction.Turn(-0.5, 0, 0.1));
            await stream.EndAsync();
            await reader;
            var last = stream.LatestFrame;
            Assert.True(stream.IsEnded && stream.Error == null, "clean end");
            Assert.True(last.Seq == 100, "the last frame answers the last action, seq " + last.Seq);
            lock (seen)
            {
                Assert.True(seen.Zip(seen.Skip(1), (a, b) => b > a).All(x => x) && seen.All(s => s > 50 && s <= 100),
                    "burst frames answer increasing seqs: " + string.Join(",", seen));
            }
            int burstFrames = stream.FramesReceived - 50;
            Assert.True(burstFrames >= 1 && burstFrames <= 50, "burst frames " + burstFrames);
            Console.WriteLine("OK play: 100 actions, " + stream.FramesReceived + " frames (" + burstFrames
                + " for the 50-action burst), last seq " + last.Seq + ", index " + last.Index);
        }

        static async Task Errors(EngineLink link, GwmSession session)
        {
            var unknown = await Fails(link.Attach(new SessionInfo { SessionId = "no-such-session" }).StepAsync(new CameraAction()), "unknown session");
            Assert.True(unknown.Code == StatusCode.NotFound && unknown.CodeName == "NOT_FOUND" && unknown.ServerMessage.Contains("no-such-session"),
                "unknown session: " + unknown.Message);
            var absurd = await Fails(session.StepAsync(new CameraAction { Seq = 77, MoveForwardM = double.NaN }), "NaN move");
            Assert.True(absurd.Code == StatusCode.InvalidArgument && absurd.ServerMessage.Contains("77"), "NaN move: " + absurd.Message);
            var tiny = await Fails(link.CreateSessionAsync(new CreateSessionRequest { SeedImage = new byte[] { 1, 2, 3 }, Width = 1, Height = 1, FovDeg = 60 }), "bad seed");
            Assert.True(tiny.Code == StatusCode.InvalidArgument, "bad seed: " + tiny.Message);
            var misspelt = await Fails(link.CallAsync("get_info", new MsgMap().Add("verbose", true)), "unknown field");
            Assert.True(misspelt.Code == StatusCode.InvalidArgument && misspelt.ServerMessage.Contains("verbose"), "unknown field: " + misspelt.Message);
            var nonsense = await Fails(link.CallAsync("teleport", new MsgMap()), "unknown type");
            Assert.True(nonsense.Code == StatusCode.Unimplemented, "unknown type: " + nonsense.Message);

            var lost = link.Attach(new SessionInfo { SessionId = "no-such-session" }).Play();
            lost.Send(CameraAction.Turn(1, 0, 0));
            var ended = await Fails(lost.NextFrameAsync(), "play on an unknown session");
            Assert.True(ended.Code == StatusCode.NotFound && lost.IsEnded && lost.Error != null, "play error ends the stream: " + ended.Message);

            var bad = session.Play();
            bad.Send(CameraAction.Move(0, 0, 1e9));
            var refused = await Fails(bad.NextFrameAsync(), "absurd play action");
            Assert.True(refused.Code == StatusCode.InvalidArgument, "absurd play action: " + refused.Message);
            var after = await session.StepAsync(new CameraAction());
            Assert.True(after.Width == Width, "the session stays usable after a bad action");
            Console.WriteLine("OK errors: NOT_FOUND, INVALID_ARGUMENT and UNIMPLEMENTED carry their code and message; the connection carries on");
        }

        static async Task ForkSaveLoad(EngineLink link, GwmSession session)
        {
            var here = await session.StepAsync(new CameraAction());
            var fork = await session.ForkAsync();
            Assert.True(fork.Id != session.Id && fork.FirstFrame == null, "fork is a new session");
            Assert.True(SamePose(fork.Info.Pose, here.Pose), "fork starts at the original's pose");
            var forkHere = await fork.StepAsync(new CameraAction());
            Assert.True(forkHere.Rgb.SequenceEqual(here.Rgb) && forkHere.Depth.SequenceEqual(here.Depth), "fork renders the same view");
            var turned = await fork.StepAsync(CameraAction.Turn(30, 0, 0));
            var original = await session.StepAsync(new CameraAction());
            Assert.True(!SamePose(turned.Pose, original.Pose) && SamePose(original.Pose, here.Pose), "the fork turns on its own");
            Console.WriteLine("OK fork: same view at the fork, independent afterwards");

            byte[] world = await session.SaveWorldAsync();
            var loaded = await link.LoadWorldAsync(new LoadWorldRequest { World = world });
            Assert.True(loaded.Info.Steps == original.Index, "loaded step count " + loaded.Info.Steps + ", saved at " + original.Index);
            Assert.True(SamePose(loaded.Info.Pose, original.Pose) && loaded.Info.Width == Width, "loaded pose and size");
            var loadedHere = await loaded.StepAsync(new CameraAction());
            var again = await session.StepAsync(new CameraAction());
            Assert.True(loadedHere.Rgb.SequenceEqual(again.Rgb) && loadedHere.Depth.SequenceEqual(again.Depth), "the loaded world renders the same view");
            Console.WriteLine("OK save/load: " + world.Length + "-byte world file, same view after loading");
            await fork.CloseAsync();
            await loaded.CloseAsync();
        }

        /// <summary>Calls in flight together on one connection: replies come in completion order and
        /// are matched by id.</summary>
        static async Task Concurrent(EngineLink link, GwmSession session)
        {
            var forks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => session.ForkAsync()));
            var steps = forks.Select((f, i) => f.StepAsync(new CameraAction { Seq = (ulong)(1000 + i), TurnYawDeg = 10 * i })).ToArray();
            var info = link.GetInfoAsync();
            var frames = await Task.WhenAll(steps);
            for (int i = 0; i < frames.Length; i++) Assert.True(frames[i].Seq == (ulong)(1000 + i), "reply matched to its request");
            Assert.True((await info).OpenSessions >= 5, "get_info among steps");
            await Task.WhenAll(forks.Select(f => f.CloseAsync()));
            Console.WriteLine("OK concurrent: " + frames.Length + " steps and a get_info in flight on one connection");
        }

        /// <summary>An XR session: both eyes in every frame, the right eye ipd_m to the right;
        /// JPEG colour and float16 / millimetre depth decoded as Unity would.</summary>
        static async Task StereoEncoded(EngineLink link, string pngPath, string depthF16Path)
        {
            foreach (var depthEncoding in new[] { DepthEncoding.Float16, DepthEncoding.UInt16Mm })
            {
                var vr = await link.CreateSessionAsync(new CreateSessionRequest
                {
                    SeedImage = File.ReadAllBytes(pngPath),
                    SeedDepth = File.ReadAllBytes(depthF16Path),
                    SeedDepthEncoding = DepthEncoding.Float16,
                    Width = 64,
                    Height = 48,
                    FovDeg = 90,
                    Stereo = true,
                    IpdM = 0.064,
                    RgbEncoding = RgbEncoding.Jpeg,
                    DepthEncoding = depthEncoding,
                });
                var head = PoseMath.Multiply(vr.Info.Pose, PoseMath.RotationY(0.2));
                var frame = await vr.StepAsync(CameraAction.Absolute(head));
                Assert.True(frame.IsStereo && frame.RgbEncoding == RgbEncoding.Jpeg && frame.DepthEncoding == depthEncoding, "stereo frame encodings");
                foreach (var rgb in new[] { frame.Rgb, frame.RightRgb })
                    Assert.True(rgb.Length > 2 && rgb[0] == 0xFF && rgb[1] == 0xD8, "JPEG colour per eye");
                foreach (bool right in new[] { false, true })
                {
                    float[] depth = frame.DepthMetres(right);
                    Assert.True(depth.Length == 64 * 48 && depth.Count(d => d > 0.05f && d <= 1000f) > depth.Length / 2,
                        depthEncoding + " depth, " + (right ? "right" : "left") + " eye");
                }
                // The eyes sit at -+ipd/2 along the head's x axis.
                double dx = frame.RightPose[3] - frame.Pose[3], dy = frame.RightPose[7] - frame.Pose[7], dz = frame.RightPose[11] - frame.Pose[11];
                Assert.Near(0.064, Math.Sqrt(dx * dx + dy * dy + dz * dz), 1e-9, "eye separation");
                Assert.Near(0.064, dx * head[0] + dy * head[4] + dz * head[8], 1e-9, "right eye along the head's +x");
                await vr.CloseAsync();
            }
            Console.WriteLine("OK stereo: both eyes per frame, JPEG colour, float16 and millimetre depth");
        }

        // An idle step re-applies a zero turn, which may move a pose by a rounding error.
        static bool SamePose(double[] a, double[] b)
        {
            return a.Length == 16 && b.Length == 16 && a.Zip(b, (x, y) => Math.Abs(x - y) <= 1e-12).All(x => x);
        }

        static void CheckFrame(GwmFrame frame, ulong seq, string what)
        {
            Assert.True(frame != null, what + ": no frame");
            if (seq != 0) Assert.True(frame.Seq == seq, what + ": seq " + frame.Seq + ", expected " + seq);
            Assert.True(frame.Width == Width && frame.Height == Height, what + ": size " + frame.Width + "x" + frame.Height);
            Assert.True(frame.Rgb.Length == Width * Height * 3 && frame.Pose.Length == 16 && !frame.IsStereo, what + ": rgb and pose");
            Assert.True(frame.FyPx > 0 && Math.Abs(frame.CxPx - Width / 2.0) < 1e-9 && Math.Abs(frame.CyPx - Height / 2.0) < 1e-9, what + ": intrinsics");
            float[] depth = frame.DepthMetres(false);
            Assert.True(depth.Length == Width * Height, what + ": depth length");
            float min = float.MaxValue, max = 0;
            foreach (float d in depth)
            {
                Assert.True(!float.IsNaN(d) && !float.IsInfinity(d) && d > 0, what + ": depth value " + d);
                min = Math.Min(min, d);
                max = Math.Max(max, d);
            }
            // The sample is a street: the nearest surface is metres away, the sky is the renderer's far dome.
            Assert.True(min > 0.05 && max <= 1000, what + ": depth range " + min + " .. " + max + " m");
        }

        static async Task<GwmLinkException> Fails<T>(Task<T> call, string what)
        {
            try
            {
                await call;
            }
            catch (GwmLinkException e)
            {
                return e;
            }
            throw new TestFailure(what + " did not fail");
        }
    }
}
