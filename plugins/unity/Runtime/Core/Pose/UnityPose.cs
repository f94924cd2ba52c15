// The one place the plugin converts between the world's frame and Unity's, a port of
// tests/geometry/unity_pose.py (the test program checks the two agree).
//
// The world (world.proto): right-handed, metres, +y up, a camera looks down its local -z.
// Unity: left-handed, +y up, a camera looks down +z. Mirroring z maps one onto the other:
// positions (x, y, z) <-> (x, y, -z), rotations R <-> S R S with S = diag(1, 1, -1).
// Poses are 4x4 world-from-camera matrices, 16 doubles in row-major order.

using System;

namespace GwmEngine
{
    public static class UnityPose
    {
        /// <summary>A world pose to a Unity transform: position, and rotation with w >= 0.</summary>
        public static void ToUnity(double[] pose, out GwmVector3 position, out GwmQuaternion rotation)
        {
            CheckPose(pose);
            position = new GwmVector3(pose[3], pose[7], -pose[11]);
            var r = new double[9];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    r[3 * i + j] = pose[4 * i + j] * Mirror(i) * Mirror(j);
            rotation = QuaternionFromMatrix(r);
        }

        /// <summary>A Unity transform (position, rotation) to a world pose.</summary>
        public static double[] FromUnity(GwmVector3 position, GwmQuaternion rotation)
        {
            double[] r = MatrixFromQuaternion(rotation);
            var pose = new double[16];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    pose[4 * i + j] = r[3 * i + j] * Mirror(i) * Mirror(j);
            pose[3] = position.X;
            pose[7] = position.Y;
            pose[11] = -position.Z;
            pose[15] = 1;
            return pose;
        }

        /// <summary>A world point (a PLY vertex, a frame's unprojected pixel) in Unity's frame.</summary>
        public static GwmVector3 PointToUnity(double x, double y, double z)
        {
            return new GwmVector3(x, y, -z);
        }

        static double Mirror(int axis) { return axis == 2 ? -1.0 : 1.0; }

        /// <summary>Rotation matrix (row-major 3x3) to quaternion (x, y, z, w), w >= 0.</summary>
        public static GwmQuaternion QuaternionFromMatrix(double[] r)
        {
            var q = new double[4];
            double trace = r[0] + r[4] + r[8];
            if (trace > 0)
            {
                double s = Math.Sqrt(trace + 1.0) * 2;
                q[0] = (r[7] - r[5]) / s;
                q[1] = (r[2] - r[6]) / s;
                q[2] = (r[3] - r[1]) / s;
                q[3] = 0.25 * s;
            }
            else
            {
                // The largest diagonal element keeps s away from zero (first one on ties, as numpy's argmax).
                int i = 0;
                if (r[4] > r[0]) i = 1;
                if (r[8] > r[4 * i]) i = 2;
                int j = (i + 1) % 3, k = (i + 2) % 3;
                double s = Math.Sqrt(1.0 + r[4 * i] - r[4 * j] - r[4 * k]) * 2;
                q[i] = 0.25 * s;
                q[j] = (r[3 * j + i] + r[3 * i + j]) / s;
                q[k] = (r[3 * k + i] + r[3 * i + k]) / s;
                q[3] = (r[3 * k + j] - r[3 * j + k]) / s;
            }
            double sign = q[3] >= 0 ? 1 : -1;
            return new GwmQuaternion(sign * q[0], sign * q[1], sign * q[2], sign * q[3]);
        }

        /// <summary>Quaternion (normalised first) to a row-major 3x3 rotation matrix.</summary>
        public static double[] MatrixFromQuaternion(GwmQuaternion q)
        {
            double n = Math.Sqrt(q.X * q.X + q.Y * q.Y + q.Z * q.Z + q.W * q.W);
            if (!(n > 0)) throw new ArgumentException("a rotation quaternion must not be zero");
            double x = q.X / n, y = q.Y / n, z = q.Z / n, w = q.W / n;
            return new[]
            {
                1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
            };
        }

        internal static void CheckPose(double[] pose)
        {
            if (pose == null || pose.Length != 16) throw new ArgumentException("a pose is 16 doubles (row-major 4x4)");
        }
    }
}
