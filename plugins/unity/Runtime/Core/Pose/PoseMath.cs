using System;

namespace GwmEngine
{
    /// <summary>Rigid-transform arithmetic on row-major 4x4 poses.</summary>
    public static class PoseMath
    {
        public static double[] Identity()
        {
            return new double[] { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 };
        }

        public static double[] Multiply(double[] a, double[] b)
        {
            UnityPose.CheckPose(a);
            UnityPose.CheckPose(b);
            var c = new double[16];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                {
                    double sum = 0;
                    for (int k = 0; k < 4; k++) sum += a[4 * i + k] * b[4 * k + j];
                    c[4 * i + j] = sum;
                }
            return c;
        }

        /// <summary>The inverse of a rigid transform: transposed rotation, rotated negated translation.</summary>
        public static double[] InverseRigid(double[] p)
        {
            UnityPose.CheckPose(p);
            var inv = new double[16];
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++) inv[4 * i + j] = p[4 * j + i];
                inv[4 * i + 3] = -(p[i] * p[3] + p[4 + i] * p[7] + p[8 + i] * p[11]);
            }
            inv[15] = 1;
            return inv;
        }

        /// <summary>Heading of a camera pose about world +y, in radians; 0 looks down -z, + is to the left.</summary>
        public static double Yaw(double[] pose)
        {
            UnityPose.CheckPose(pose);
            // The view direction is the camera's -z column; atan2 of its horizontal part.
            return Math.Atan2(pose[2], pose[10]);
        }

        /// <summary>A rotation about world +y by <paramref name="yaw"/> radians (+ turns left).</summary>
        public static double[] RotationY(double yaw)
        {
            double c = Math.Cos(yaw), s = Math.Sin(yaw);
            return new double[] { c, 0, s, 0, 0, 1, 0, 0, -s, 0, c, 0, 0, 0, 0, 1 };
        }
    }
}
