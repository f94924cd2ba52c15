// Pixel conversions between the link and engines. The link sends images top row first
// (world.proto); Unity's textures, ReadPixels and depth buffers are bottom row first, so every
// image crossing over is flipped exactly once, here. Multi-byte values are little-endian.

using System;

namespace GwmEngine
{
    public static class FrameImages
    {
        /// <summary>Metric z-depth (metres, top row first) from a frame's depth bytes. UINT16_MM's
        /// 0 ("unknown") stays 0.</summary>
        public static float[] DecodeDepth(byte[] data, DepthEncoding encoding, int width, int height)
        {
            int n = width * height;
            var depth = new float[n];
            switch (encoding)
            {
                case DepthEncoding.Unspecified:
                case DepthEncoding.Float32:
                    CheckLength(data, n * 4, encoding);
                    if (BitConverter.IsLittleEndian) Buffer.BlockCopy(data, 0, depth, 0, n * 4);
                    else
                        for (int i = 0; i < n; i++)
                        {
                            var b = new[] { data[4 * i + 3], data[4 * i + 2], data[4 * i + 1], data[4 * i] };
                            depth[i] = BitConverter.ToSingle(b, 0);
                        }
                    break;
                case DepthEncoding.Float16:
                    CheckLength(data, n * 2, encoding);
                    for (int i = 0; i < n; i++) depth[i] = HalfToSingle((ushort)(data[2 * i] | data[2 * i + 1] << 8));
                    break;
                case DepthEncoding.UInt16Mm:
                    CheckLength(data, n * 2, encoding);
                    for (int i = 0; i < n; i++) depth[i] = (data[2 * i] | data[2 * i + 1] << 8) / 1000f;
                    break;
                default:
                    throw new ArgumentException("unknown depth encoding " + (int)encoding);
            }
            return depth;
        }

        /// <summary>Float32 little-endian bytes, as CreateSessionRequest.seed_depth takes them.</summary>
        public static byte[] EncodeDepthFloat32(float[] depth)
        {
            var data = new byte[depth.Length * 4];
            if (BitConverter.IsLittleEndian)
            {
                Buffer.BlockCopy(depth, 0, data, 0, data.Length);
                return data;
            }
            for (int i = 0; i < depth.Length; i++)
            {
                byte[] b = BitConverter.GetBytes(depth[i]);
                for (int k = 0; k < 4; k++) data[4 * i + k] = b[3 - k];
            }
            return data;
        }

        /// <summary>IEEE 754 half to single precision (exact: every half is a float).</summary>
        public static float HalfToSingle(ushort half)
        {
            int sign = half >> 15;
            int exponent = (half >> 10) & 0x1F;
            int mantissa = half & 0x3FF;
            float magnitude;
            if (exponent == 0) magnitude = mantissa * (1f / 16777216f);  // subnormal: mantissa * 2^-24
            else if (exponent == 31) magnitude = mantissa == 0 ? float.PositiveInfinity : float.NaN;
            else magnitude = (1f + mantissa / 1024f) * (float)Math.Pow(2, exponent - 15);
            return sign == 1 ? -magnitude : magnitude;
        }

        /// <summary>Image rows in the opposite order (top-first to bottom-first and back).</summary>
        public static byte[] FlipRows(byte[] image, int rowBytes)
        {
            if (rowBytes <= 0 || image.Length % rowBytes != 0)
                throw new ArgumentException("image length " + image.Length + " is not a whole number of " + rowBytes + "-byte rows");
            var flipped = new byte[image.Length];
            int rows = image.Length / rowBytes;
            for (int y = 0; y < rows; y++)
                Buffer.BlockCopy(image, y * rowBytes, flipped, (rows - 1 - y) * rowBytes, rowBytes);
            return flipped;
        }

        public static float[] FlipRows(float[] image, int width)
        {
            if (width <= 0 || image.Length % width != 0)
                throw new ArgumentException("image length " + image.Length + " is not a whole number of " + width + "-pixel rows");
            var flipped = new float[image.Length];
            int rows = image.Length / width;
            for (int y = 0; y < rows; y++)
                Array.Copy(image, y * width, flipped, (rows - 1 - y) * width, width);
            return flipped;
        }

        /// <summary>
        /// Metric z-depth from a perspective depth-buffer value in [0, 1]. Direct3D-style and
        /// OpenGL-style projections both store d = f (z - n) / (z (f - n)) once mapped to [0, 1];
        /// reversed-Z buffers (Unity on D3D11/12, Metal, Vulkan, consoles) store 1 - d.
        /// </summary>
        public static float LinearizeDepth(float raw, float near, float far, bool reversedZ)
        {
            double d = reversedZ ? 1.0 - raw : raw;
            return (float)(near * (double)far / (far - d * (far - near)));
        }

        /// <summary>A whole depth buffer (any row order) linearised in place.</summary>
        public static void LinearizeDepth(float[] depth, float near, float far, bool reversedZ)
        {
            for (int i = 0; i < depth.Length; i++) depth[i] = LinearizeDepth(depth[i], near, far, reversedZ);
        }

        static void CheckLength(byte[] data, int expected, DepthEncoding encoding)
        {
            if (data.Length != expected)
                throw new ArgumentException(string.Format("{0} depth should be {1} bytes, got {2}", encoding, expected, data.Length));
        }
    }
}
