// Edit-mode tests of the core's input mapping, pose conversion, codec and image helpers.

using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace GwmEngine.EditorTests
{
    [TestFixture]
    public class CameraInputMapperTests
    {
        [Test]
        public void HeldKeysAreRatesScaledByTheFrameTime()
        {
            var settings = new CameraInputSettings { MoveSpeedMps = 2, TurnSpeedDegPerS = 90 };
            var held = new CameraInputSample { Forward = 1, LookRight = 1 };
            var action = CameraInputMapper.Map(held, 0.5, settings);
            Assert.AreEqual(1.0, action.MoveForwardM, 1e-12);
            Assert.AreEqual(-45.0, action.TurnYawDeg, 1e-12, "looking right is a negative yaw");
        }

        [Test]
        public void MouseDeltasAreNotScaledByTime()
        {
            var settings = new CameraInputSettings { MouseDegPerPixel = 0.1 };
            var action = CameraInputMapper.Map(new CameraInputSample { MouseDeltaY = 20 }, 1.0 / 144, settings);
            Assert.AreEqual(2.0, action.TurnPitchDeg, 1e-12);
        }

        [Test]
        public void LimitsAndBadAxesAreSafe()
        {
            var settings = new CameraInputSettings { MaxTurnDeg = 10 };
            var action = CameraInputMapper.Map(new CameraInputSample { MouseDeltaX = 1e6, Forward = double.NaN }, 0.016, settings);
            Assert.AreEqual(-10.0, action.TurnYawDeg, 1e-12);
            Assert.AreEqual(0.0, action.MoveForwardM);
            Assert.IsTrue(CameraInputMapper.Map(new CameraInputSample(), 0.016, settings).IsIdle);
            Assert.Throws<ArgumentException>(() => CameraInputMapper.Map(new CameraInputSample(), -1, settings));
        }
    }

    [TestFixture]
    public class UnityPoseTests
    {
        [Test]
        public void TheWorldsForwardIsUnitysForward()
        {
            // The world's camera looks down -z; Unity's down +z: a pose 1 m ahead sits at z = +1.
            var pose = PoseMath.Identity();
            pose[11] = -1;
            GwmVector3 position;
            GwmQuaternion rotation;
            UnityPose.ToUnity(pose, out position, out rotation);
            Assert.AreEqual(1.0, position.Z, 1e-12);
            Assert.AreEqual(1.0, rotation.W, 1e-12);
        }

        [Test]
        public void PosesRoundTrip()
        {
            var r = PosePrediction.Rotation(40, 15, -5);
            var pose = new double[] { r[0], r[1], r[2], 1, r[3], r[4], r[5], 2, r[6], r[7], r[8], 3, 0, 0, 0, 1 };
            GwmVector3 position;
            GwmQuaternion rotation;
            UnityPose.ToUnity(pose, out position, out rotation);
            var back = UnityPose.FromUnity(position, rotation);
            for (int i = 0; i < 16; i++) Assert.AreEqual(pose[i], back[i], 1e-9, "element " + i);
        }
    }

    [TestFixture]
    public class CodecTests
    {
        [Test]
        public void MapsRoundTrip()
        {
            var map = new MsgMap().Add("type", "play").Add("seq", 7L).Add("pose", new[] { 1.0, 0.5 });
            var decoded = (MsgMap)Msgpack.Decode(Msgpack.Encode(map));
            Assert.AreEqual("play", decoded["type"]);
            Assert.AreEqual(7L, Convert.ToInt64(decoded["seq"]));
            var pose = (List<object>)decoded["pose"];
            Assert.AreEqual(0.5, (double)pose[1]);
        }

        [Test]
        public void NilIsRefused()
        {
            Assert.Throws<MsgpackException>(() => Msgpack.Decode(new byte[] { 0xC0 }));
        }
    }

    [TestFixture]
    public class FrameImagesTests
    {
        [Test]
        public void RowsFlip()
        {
            var flipped = FrameImages.FlipRows(new byte[] { 1, 2, 3, 4, 5, 6 }, 2);
            CollectionAssert.AreEqual(new byte[] { 5, 6, 3, 4, 1, 2 }, flipped);
            Assert.Throws<ArgumentException>(() => FrameImages.FlipRows(new byte[] { 1, 2, 3 }, 2));
        }

        [Test]
        public void HalfFloatsDecode()
        {
            Assert.AreEqual(1f, FrameImages.HalfToSingle(0x3C00));
            Assert.AreEqual(65504f, FrameImages.HalfToSingle(0x7BFF));
            Assert.IsTrue(float.IsNaN(FrameImages.HalfToSingle(0x7E00)));
        }
    }
}
