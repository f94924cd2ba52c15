// Edit-mode tests of the engine-free core, run by Unity's Test Runner (Window > General > Test
// Runner, EditMode) once the package is "testable" in the project's manifest; the same files
// build and run under mono outside Unity (tests/plugins/test_unity_editor_tests.py).

using System;
using NUnit.Framework;

namespace GwmEngine.EditorTests
{
    [TestFixture]
    public class PosePredictionTests
    {
        const double Tolerance = 1e-9;

        static void AssertPosition(double[] pose, double x, double y, double z)
        {
            Assert.AreEqual(x, pose[3], Tolerance, "x");
            Assert.AreEqual(y, pose[7], Tolerance, "y");
            Assert.AreEqual(z, pose[11], Tolerance, "z");
        }

        [Test]
        public void ForwardWalksDownMinusZ()
        {
            var pose = PosePrediction.Apply(PoseMath.Identity(), CameraAction.Move(0, 0, 2));
            AssertPosition(pose, 0, 0, -2);
        }

        [Test]
        public void TurnsComeBeforeTheMove()
        {
            // Yaw + turns left: after 90 degrees, forward is the world's -x.
            var action = new CameraAction { TurnYawDeg = 90, MoveForwardM = 1 };
            AssertPosition(PosePrediction.Apply(PoseMath.Identity(), action), -1, 0, 0);
        }

        [Test]
        public void PitchStopsShortOfStraightUp()
        {
            var pose = PosePrediction.Apply(PoseMath.Identity(), CameraAction.Turn(0, 120, 0));
            double yaw, pitch, roll;
            PosePrediction.YawPitchRoll(pose, out yaw, out pitch, out roll);
            Assert.AreEqual(PosePrediction.PitchLimitDeg, pitch, 1e-6);
        }

        [Test]
        public void AnglesRoundTrip()
        {
            var r = PosePrediction.Rotation(30, -20, 10);
            var pose = new double[] { r[0], r[1], r[2], 0, r[3], r[4], r[5], 0, r[6], r[7], r[8], 0, 0, 0, 0, 1 };
            double yaw, pitch, roll;
            PosePrediction.YawPitchRoll(pose, out yaw, out pitch, out roll);
            Assert.AreEqual(30, yaw, 1e-9);
            Assert.AreEqual(-20, pitch, 1e-9);
            Assert.AreEqual(10, roll, 1e-9);
        }

        [Test]
        public void AnAbsolutePoseReplacesThePose()
        {
            var target = PoseMath.Identity();
            target[3] = 5;
            var pose = PosePrediction.Apply(PosePrediction.Apply(PoseMath.Identity(), CameraAction.Move(1, 0, 0)), CameraAction.Absolute(target));
            AssertPosition(pose, 5, 0, 0);
        }

        [Test]
        public void PredictionKeepsOnlyWhatNoFrameIncludes()
        {
            var prediction = new PosePrediction();
            Assert.IsNull(prediction.Pose, "no frame yet");
            prediction.FrameArrived(PoseMath.Identity(), 0);
            prediction.Sent(CameraAction.Move(0, 0, 1), 1);
            prediction.Sent(CameraAction.Move(0, 0, 1), 2);
            AssertPosition(prediction.Pose, 0, 0, -2);

            // The frame answering seq 1 stands where seq 1 put the camera: only seq 2 remains.
            var first = PoseMath.Identity();
            first[11] = -1;
            prediction.FrameArrived(first, 1);
            Assert.AreEqual(1, prediction.Unanswered);
            AssertPosition(prediction.Pose, 0, 0, -2);

            prediction.Clear();
            Assert.IsNull(prediction.Pose);
        }

        [Test]
        public void ABrokenPoseIsRefused()
        {
            Assert.Throws<ArgumentException>(() => new PosePrediction().FrameArrived(new double[3], 0));
        }
    }
}
