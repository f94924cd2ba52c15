using System;
using System.Collections.Generic;
using System.Linq;

namespace GwmEngine.Tests
{
    /// <summary>Offline checks of the core's helpers.</summary>
    public static class Units
    {
        public static void Run()
        {
            CodecRefusals();
            Depth();
            Rows();
            InputMapping();
            XrAnchor();
            Actions();
            Ply();
            Console.WriteLine("OK units");
        }

        static void CodecRefusals()
        {
            var cases = new Dictionary<string, byte[]>
            {
                { "nil", new byte[] { 0xC0 } },
                { "ext", new byte[] { 0xD4, 0x01, 0x02 } },
                { "reserved c1", new byte[] { 0xC1 } },
                { "truncated str", new byte[] { 0xA5, 0x61 } },
                { "truncated uint32", new byte[] { 0xCE, 0x00 } },
                { "trailing bytes", new byte[] { 0x01, 0x02 } },
                { "non-str key", new byte[] { 0x81, 0x01, 0x02 } },
                { "duplicate key", new byte[] { 0x82, 0xA1, 0x61, 0x01, 0xA1, 0x61, 0x02 } },
                { "invalid UTF-8", new byte[] { 0xA1, 0xFF } },
                { "array count beyond the bytes", new byte[] { 0xDD, 0x7F, 0xFF, 0xFF, 0xFF } },
            };
            foreach (var c in cases)
                Assert.Throws<MsgpackException>(() => Msgpack.Decode(c.Value), "decoding " + c.Key);
            var deep = Enumerable.Repeat((byte)0x91, Msgpack.MaxDepth + 2).Concat(new byte[] { 0x01 }).ToArray();
            Assert.Throws<MsgpackException>(() => Msgpack.Decode(deep), "decoding deeper than MaxDepth");
            var shallow = Enumerable.Repeat((byte)0x91, Msgpack.MaxDepth).Concat(new byte[] { 0x01 }).ToArray();
            Msgpack.Decode(shallow);
            Assert.Throws<MsgpackException>(() => Msgpack.Encode(new List<object> { null }), "encoding nil");
            // x86's 0.0 / 0.0 is a NaN with the sign bit set; the wire form is the positive quiet NaN.
            double zero = 0;
            Assert.True(Vectors.Hex(Msgpack.Encode(zero / zero)) == "cb7ff8000000000000", "NaN encoding");
            Assert.True(Vectors.Hex(Msgpack.Encode(-1L)) == "ff" && Vectors.Hex(Msgpack.Encode(uint.MaxValue)) == "ceffffffff", "integer forms");
            Assert.True(Msgpack.Decode(Msgpack.Encode(ulong.MaxValue)) is ulong, "uint64 above int64 decodes as ulong");
            Assert.True(GwmLinkException.CodeNameOf(StatusCode.NotFound) == "NOT_FOUND"
                && GwmLinkException.CodeNameOf(StatusCode.FailedPrecondition) == "FAILED_PRECONDITION", "code names");
        }

        static void Depth()
        {
            Assert.True(FrameImages.HalfToSingle(0x3C00) == 1f && FrameImages.HalfToSingle(0xC000) == -2f, "half 1 and -2");
            Assert.True(FrameImages.HalfToSingle(0x7BFF) == 65504f, "largest half");
            Assert.True(FrameImages.HalfToSingle(0x0001) == (float)Math.Pow(2, -24), "smallest subnormal half");
            Assert.True(float.IsPositiveInfinity(FrameImages.HalfToSingle(0x7C00)) && float.IsNaN(FrameImages.HalfToSingle(0x7E00)), "half inf and NaN");
            Assert.True(FrameImages.HalfToSingle(0x3555) == 0.333251953125f, "half 1/3");

            var metres = new[] { 0.5f, 1.25f, 3f, 65.5f };
            var f32 = FrameImages.DecodeDepth(FrameImages.EncodeDepthFloat32(metres), DepthEncoding.Float32, 2, 2);
            Assert.True(f32.SequenceEqual(metres), "float32 depth round trip");
            var f16 = FrameImages.DecodeDepth(new byte[] { 0x00, 0x38, 0x00, 0x3D, 0x00, 0x42, 0x18, 0x54 }, DepthEncoding.Float16, 2, 2);
            Assert.True(f16.SequenceEqual(metres), "float16 depth: " + string.Join(",", f16));
            var mm = FrameImages.DecodeDepth(new byte[] { 0xF4, 0x01, 0x00, 0x00, 0xB8, 0x0B, 0xFF, 0xFF }, DepthEncoding.UInt16Mm, 2, 2);
            Assert.True(mm.SequenceEqual(new[] { 0.5f, 0f, 3f, 65.535f }), "uint16 mm depth: " + string.Join(",", mm));
            Assert.Throws<ArgumentException>(() => FrameImages.DecodeDepth(new byte[6], DepthEncoding.Float16, 2, 2), "short depth");

            const float near = 0.3f, far = 1000f;
            foreach (double z in new[] { 0.3, 1.0, 7.5, 120.0, 1000.0 })
            {
                double d = far * (z - near) / (z * (far - near));  // what the GPU stores for z
                Assert.Near(z, FrameImages.LinearizeDepth((float)d, near, far, false), z * 1e-4, "linearised depth at " + z);
                Assert.Near(z, FrameImages.LinearizeDepth((float)(1 - d), near, far, true), z * 2e-3, "reversed-Z linearised depth at " + z);
            }
        }

        static void Rows()
        {
            var image = new byte[] { 1, 2, 3, 4, 5, 6 };  // 3 rows of 2 bytes
            Assert.True(FrameImages.FlipRows(image, 2).SequenceEqual(new byte[] { 5, 6, 3, 4, 1, 2 }), "flip byte rows");
            Assert.True(FrameImages.FlipRows(FrameImages.FlipRows(image, 3), 3).SequenceEqual(image), "flip twice");
            Assert.True(FrameImages.FlipRows(new[] { 1f, 2f, 3f, 4f }, 2).SequenceEqual(new[] { 3f, 4f, 1f, 2f }), "flip float rows");
            Assert.Throws<ArgumentException>(() => FrameImages.FlipRows(image, 4), "ragged rows");
        }

        static void InputMapping()
        {
            var settings = new CameraInputSettings { MoveSpeedMps = 2, TurnSpeedDegPerS = 90, MouseDegPerPixel = 0.1 };
            var held = new CameraInputSample { Forward = 1, LookRight = 1, LookUp = -0.5, Right = -1 };
            // Frame-rate independence: one second of holding is the same at 10, 60 and 144 fps.
            foreach (int fps in new[] { 10, 60, 144 })
            {
                double forward = 0, yaw = 0, pitch = 0, right = 0;
                for (int i = 0; i < fps; i++)
                {
                    var a = CameraInputMapper.Map(held, 1.0 / fps, settings);
                    forward += a.MoveForwardM;
                    right += a.MoveRightM;
                    yaw += a.TurnYawDeg;
                    pitch += a.TurnPitchDeg;
                }
                Assert.Near(2, forward, 1e-9, "metres forward in 1 s at " + fps + " fps");
                Assert.Near(-2, right, 1e-9, "metres right in 1 s at " + fps + " fps");
                Assert.Near(-90, yaw, 1e-9, "yaw in 1 s turning right at " + fps + " fps");
                Assert.Near(-45, pitch, 1e-9, "pitch in 1 s looking half down at " + fps + " fps");
            }
            var mouse = CameraInputMapper.Map(new CameraInputSample { MouseDeltaX = 10, MouseDeltaY = 5 }, 1.0 / 30, settings);
            Assert.Near(-1, mouse.TurnYawDeg, 1e-12, "mouse right turns right (negative yaw), not scaled by frame time");
            Assert.Near(0.5, mouse.TurnPitchDeg, 1e-12, "mouse up looks up");
            var hitch = CameraInputMapper.Map(held, 30, new CameraInputSettings { MaxMoveM = 5, MaxTurnDeg = 20 });
            Assert.True(hitch.MoveForwardM == 5 && hitch.TurnYawDeg == -20, "a 30 s hitch is clamped to the action limits");
            Assert.True(CameraInputMapper.Map(new CameraInputSample(), 0.016, settings).IsIdle, "no input is idle");
            var fast = CameraInputMapper.Map(new CameraInputSample { Forward = 3, SpeedMultiplier = 2 }, 0.5, settings);
            Assert.Near(2, fast.MoveForwardM, 1e-12, "axis clamped to 1, speed doubled");
        }

        static void XrAnchor()
        {
            var world = PoseMath.Multiply(Translation(0.5, 1.6, -2), PoseMath.RotationY(0.4));
            // A head tilted down and rolled, somewhere in the room, facing elsewhere.
            var tilt = UnityPose.FromUnity(new GwmVector3(0, 0, 0), new GwmQuaternion(0.2, 0.9, 0.1, 0.3));
            var head = PoseMath.Multiply(Translation(1.2, 1.7, 0.3), tilt);
            var anchor = new XrPoseAnchor();
            anchor.Anchor(world, head);
            var mapped = anchor.ToWorld(head);
            for (int i = 0; i < 3; i++) Assert.Near(world[4 * i + 3], mapped[4 * i + 3], 1e-12, "anchored position " + i);
            Assert.Near(PoseMath.Yaw(world), PoseMath.Yaw(mapped), 1e-12, "anchored heading");
            // A turn about +y leaves every axis's height alone: the head keeps its own pitch and
            // roll, and the world's horizon stays level.
            for (int j = 0; j < 3; j++) Assert.Near(head[4 + j], mapped[4 + j], 1e-12, "height of camera axis " + j);
            // A step of the head in the room is the same step in the world.
            var stepped = PoseMath.Multiply(head, Translation(0, 0, -1));
            var mappedStep = anchor.ToWorld(stepped);
            double dx = mappedStep[3] - mapped[3], dy = mappedStep[7] - mapped[7], dz = mappedStep[11] - mapped[11];
            Assert.Near(1, Math.Sqrt(dx * dx + dy * dy + dz * dz), 1e-12, "a 1 m head step is 1 m in the world");
            var roundTrip = PoseMath.Multiply(PoseMath.InverseRigid(head), head);
            for (int i = 0; i < 16; i++) Assert.Near(PoseMath.Identity()[i], roundTrip[i], 1e-12, "inverse rigid");
        }

        static void Actions()
        {
            var idle = new CameraAction().ToFields("s");
            Assert.True(idle.Count == 1 && (string)idle["session_id"] == "s", "an idle action sends only its session");
            var pose = CameraAction.Absolute(PoseMath.Identity());
            pose.MoveForwardM = 1;
            var fields = pose.ToFields("");
            Assert.True(fields.ContainsKey("pose") && !fields.ContainsKey("move_forward_m") && !fields.ContainsKey("session_id"),
                "an absolute action sends its pose, not the ignored moves");
        }

        static void Ply()
        {
            const string header = "ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
                + "property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n";
            var body = new List<byte>();
            foreach (var p in new[] { new[] { 1f, 2f, -3f }, new[] { -0.5f, 0f, 4f } })
                foreach (float v in p) body.AddRange(FrameImages.EncodeDepthFloat32(new[] { v }));  // float32 little-endian
            body.InsertRange(12, new byte[] { 10, 20, 30 });
            body.AddRange(new byte[] { 40, 50, 60 });
            var ply = System.Text.Encoding.ASCII.GetBytes(header).Concat(body).ToArray();
            var cloud = PointCloud.FromPly(ply);
            Assert.True(cloud.Count == 2 && cloud.Positions.SequenceEqual(new[] { 1f, 2f, 3f, -0.5f, 0f, -4f }), "PLY points, z mirrored");
            Assert.True(cloud.Colors.SequenceEqual(new byte[] { 10, 20, 30, 40, 50, 60 }), "PLY colours");
            Assert.Throws<FormatException>(() => PointCloud.FromPly(ply.Take(ply.Length - 1).ToArray()), "truncated PLY");
            var ascii = System.Text.Encoding.ASCII.GetBytes(header.Replace("binary_little_endian", "ascii"));
            Assert.Throws<FormatException>(() => PointCloud.FromPly(ascii), "ASCII PLY");
        }

        static double[] Translation(double x, double y, double z)
        {
            var t = PoseMath.Identity();
            t[3] = x;
            t[7] = y;
            t[11] = z;
            return t;
        }
    }
}
