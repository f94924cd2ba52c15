using UnityEngine;

namespace GwmEngine.Components
{
    /// <summary>Between the core's double-precision types and Unity's; the frame conversion
    /// itself (mirroring z) is <see cref="UnityPose"/> in the tested core.</summary>
    public static class GwmUnityConversions
    {
        public static Vector3 ToUnity(GwmVector3 v) { return new Vector3((float)v.X, (float)v.Y, (float)v.Z); }

        public static Quaternion ToUnity(GwmQuaternion q) { return new Quaternion((float)q.X, (float)q.Y, (float)q.Z, (float)q.W); }

        public static GwmVector3 ToGwm(Vector3 v) { return new GwmVector3(v.x, v.y, v.z); }

        public static GwmQuaternion ToGwm(Quaternion q) { return new GwmQuaternion(q.x, q.y, q.z, q.w); }

        /// <summary>A world pose (16 doubles, world.proto) as a Unity position and rotation.</summary>
        public static void PoseToUnity(double[] pose, out Vector3 position, out Quaternion rotation)
        {
            GwmVector3 p;
            GwmQuaternion q;
            UnityPose.ToUnity(pose, out p, out q);
            position = ToUnity(p);
            rotation = ToUnity(q);
        }

        /// <summary>A Unity position and rotation as a world pose (16 doubles, world.proto).</summary>
        public static double[] PoseFromUnity(Vector3 position, Quaternion rotation)
        {
            return UnityPose.FromUnity(ToGwm(position), ToGwm(rotation));
        }
    }
}
