using System;

namespace GwmEngine
{
    /// <summary>
    /// Maps XR head poses (tracking space, already converted with <see cref="UnityPose.FromUnity"/>)
    /// onto the world: anchored once so the head's current position and heading coincide with a
    /// world pose (a session's start pose), by a turn about +y and a shift only, so the world's
    /// horizon stays level whatever the head's tilt at that moment. Afterwards the head moves
    /// through the world exactly as it moves through the room.
    /// </summary>
    public sealed class XrPoseAnchor
    {
        double[] _worldFromTracking;

        public bool IsAnchored { get { return _worldFromTracking != null; } }

        public void Anchor(double[] worldPose, double[] trackingPose)
        {
            double[] turn = PoseMath.RotationY(PoseMath.Yaw(worldPose) - PoseMath.Yaw(trackingPose));
            // Turned head position, then shifted onto the world position.
            double hx = trackingPose[3], hy = trackingPose[7], hz = trackingPose[11];
            turn[3] = worldPose[3] - (turn[0] * hx + turn[1] * hy + turn[2] * hz);
            turn[7] = worldPose[7] - (turn[4] * hx + turn[5] * hy + turn[6] * hz);
            turn[11] = worldPose[11] - (turn[8] * hx + turn[9] * hy + turn[10] * hz);
            _worldFromTracking = turn;
        }

        public void Reset() { _worldFromTracking = null; }

        /// <summary>The world pose of a tracking-space head pose; anchor first.</summary>
        public double[] ToWorld(double[] trackingPose)
        {
            if (_worldFromTracking == null) throw new InvalidOperationException("anchor the XR pose first");
            return PoseMath.Multiply(_worldFromTracking, trackingPose);
        }
    }
}
