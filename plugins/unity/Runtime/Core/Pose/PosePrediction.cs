// Where the camera is now, between the daemon's frames: the newest frame's pose and every
// action sent since, applied as the daemon applies them (gwm_engine/geometry/actions.py). A
// client drawing the newest frame from this pose every display frame (GwmReprojection) answers
// turns and small moves at display rate while frames arrive at the daemon's.

using System;
using System.Collections.Generic;

namespace GwmEngine
{
    public sealed class PosePrediction
    {
        /// <summary>Turns never tilt the camera past this pitch (the daemon's limit).</summary>
        public const double PitchLimitDeg = 89.0;

        readonly List<CameraAction> _unanswered = new List<CameraAction>();
        double[] _framePose;

        /// <summary>Record an action sent with this seq (<see cref="PlayStream.Send"/>'s result).</summary>
        public void Sent(CameraAction action, ulong seq)
        {
            if (action == null) throw new ArgumentNullException("action");
            var copy = action.Clone();
            copy.Seq = seq;
            _unanswered.Add(copy);
        }

        /// <summary>A frame arrived: its pose includes every action up to its seq.</summary>
        public void FrameArrived(double[] pose, ulong seq)
        {
            UnityPose.CheckPose(pose);
            _framePose = (double[])pose.Clone();
            _unanswered.RemoveAll(a => a.Seq <= seq);
        }

        /// <summary>Forget the frame and the actions (a new session, a reset).</summary>
        public void Clear()
        {
            _framePose = null;
            _unanswered.Clear();
        }

        /// <summary>Actions sent that no frame includes yet.</summary>
        public int Unanswered { get { return _unanswered.Count; } }

        /// <summary>The predicted world-from-camera pose; null before the first frame.</summary>
        public double[] Pose
        {
            get
            {
                if (_framePose == null) return null;
                double[] pose = _framePose;
                foreach (var action in _unanswered) pose = Apply(pose, action);
                return pose;
            }
        }

        /// <summary>The pose after one action: an absolute pose replaces it; a relative action adds
        /// its turns to the pose's yaw, pitch and roll (R = Ry(yaw) Rx(pitch) Rz(roll), pitch
        /// clamped), then moves (right, up, forward) in the turned camera frame.</summary>
        public static double[] Apply(double[] pose, CameraAction action)
        {
            UnityPose.CheckPose(pose);
            if (action.Pose != null) return (double[])action.Pose.Clone();
            double yaw, pitch, roll;
            YawPitchRoll(pose, out yaw, out pitch, out roll);
            pitch = Math.Max(-PitchLimitDeg, Math.Min(PitchLimitDeg, pitch + action.TurnPitchDeg));
            double[] r = Rotation(yaw + action.TurnYawDeg, pitch, roll + action.TurnRollDeg);
            double[] move = { action.MoveRightM, action.MoveUpM, -action.MoveForwardM };
            var result = new double[16];
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++) result[4 * i + j] = r[3 * i + j];
                result[4 * i + 3] = pose[4 * i + 3] + r[3 * i] * move[0] + r[3 * i + 1] * move[1] + r[3 * i + 2] * move[2];
            }
            result[15] = 1;
            return result;
        }

        /// <summary>Degrees of a pose's rotation, the inverse of R = Ry(yaw) Rx(pitch) Rz(roll); at
        /// pitch +-90 yaw absorbs roll.</summary>
        public static void YawPitchRoll(double[] pose, out double yawDeg, out double pitchDeg, out double rollDeg)
        {
            double r12 = pose[6];
            pitchDeg = Degrees(Math.Asin(Math.Max(-1, Math.Min(1, -r12))));
            if (Math.Abs(r12) < 1 - 1e-9)
            {
                yawDeg = Degrees(Math.Atan2(pose[2], pose[10]));
                rollDeg = Degrees(Math.Atan2(pose[4], pose[5]));
            }
            else
            {
                yawDeg = Degrees(Math.Atan2(-pose[8], pose[0]));
                rollDeg = 0;
            }
        }

        /// <summary>Ry(yaw) Rx(pitch) Rz(roll), degrees, as a row-major 3x3.</summary>
        public static double[] Rotation(double yawDeg, double pitchDeg, double rollDeg)
        {
            double cy = Math.Cos(Radians(yawDeg)), sy = Math.Sin(Radians(yawDeg));
            double cp = Math.Cos(Radians(pitchDeg)), sp = Math.Sin(Radians(pitchDeg));
            double cr = Math.Cos(Radians(rollDeg)), sr = Math.Sin(Radians(rollDeg));
            double[] ry = { cy, 0, sy, 0, 1, 0, -sy, 0, cy };
            double[] rx = { 1, 0, 0, 0, cp, -sp, 0, sp, cp };
            double[] rz = { cr, -sr, 0, sr, cr, 0, 0, 0, 1 };
            return Multiply3(Multiply3(ry, rx), rz);
        }

        static double[] Multiply3(double[] a, double[] b)
        {
            var c = new double[9];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    c[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
            return c;
        }

        static double Radians(double degrees) { return degrees * Math.PI / 180; }

        static double Degrees(double radians) { return radians * 180 / Math.PI; }
    }
}
