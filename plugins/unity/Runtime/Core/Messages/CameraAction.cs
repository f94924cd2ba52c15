// Written strictly: only fields that differ from their default are sent, so a plugin never
// sends a field an older daemon does not know.

using System;

namespace GwmEngine
{
    /// <summary>A camera action: relative (moves in metres, turns in degrees) unless Pose is set.
    /// Conventions (world.proto): +yaw turns left, +pitch looks up, +roll tilts the image
    /// counter-clockwise; a relative action turns first, then moves in the turned frame.</summary>
    public sealed class CameraAction
    {
        public ulong Seq;
        public ulong ClientTimeUs;
        public double MoveRightM, MoveUpM, MoveForwardM;
        public double TurnYawDeg, TurnPitchDeg, TurnRollDeg;
        /// <summary>Absolute world-from-camera pose (16 doubles, row-major, world.proto convention);
        /// null for a relative action. Convert Unity transforms with <see cref="UnityPose.FromUnity"/>.</summary>
        public double[] Pose;

        public static CameraAction Move(double rightM, double upM, double forwardM)
        {
            return new CameraAction { MoveRightM = rightM, MoveUpM = upM, MoveForwardM = forwardM };
        }

        public static CameraAction Turn(double yawDeg, double pitchDeg, double rollDeg)
        {
            return new CameraAction { TurnYawDeg = yawDeg, TurnPitchDeg = pitchDeg, TurnRollDeg = rollDeg };
        }

        public static CameraAction Absolute(double[] pose)
        {
            if (pose == null || pose.Length != 16) throw new ArgumentException("a pose is 16 doubles");
            return new CameraAction { Pose = (double[])pose.Clone() };
        }

        /// <summary>True for a relative action that neither moves nor turns.</summary>
        public bool IsIdle
        {
            get
            {
                return Pose == null && MoveRightM == 0 && MoveUpM == 0 && MoveForwardM == 0
                    && TurnYawDeg == 0 && TurnPitchDeg == 0 && TurnRollDeg == 0;
            }
        }

        public CameraAction Clone()
        {
            var copy = (CameraAction)MemberwiseClone();
            if (Pose != null) copy.Pose = (double[])Pose.Clone();
            return copy;
        }

        internal MsgMap ToFields(string sessionId)
        {
            var m = new MsgMap();
            if (!string.IsNullOrEmpty(sessionId)) m.Add("session_id", sessionId);
            if (Seq != 0) m.Add("seq", Seq);
            if (ClientTimeUs != 0) m.Add("client_time_us", ClientTimeUs);
            if (Pose != null)
            {
                if (Pose.Length != 16) throw new ArgumentException("a pose is 16 doubles");
                m.Add("pose", Pose);
                return m;
            }
            if (MoveRightM != 0) m.Add("move_right_m", MoveRightM);
            if (MoveUpM != 0) m.Add("move_up_m", MoveUpM);
            if (MoveForwardM != 0) m.Add("move_forward_m", MoveForwardM);
            if (TurnYawDeg != 0) m.Add("turn_yaw_deg", TurnYawDeg);
            if (TurnPitchDeg != 0) m.Add("turn_pitch_deg", TurnPitchDeg);
            if (TurnRollDeg != 0) m.Add("turn_roll_deg", TurnRollDeg);
            return m;
        }
    }
}
