using System;
using System.Text;

namespace GwmEngine
{
    /// <summary>
    /// The point cloud of ExportGeometry, read from its binary PLY (world.proto: vertex x y z
    /// float32 in world metres, then red green blue uchar) and mirrored into Unity's frame, ready
    /// for a points mesh, collision or navigation.
    /// </summary>
    public sealed class PointCloud
    {
        /// <summary>x, y, z per point, Unity's frame (z mirrored), metres.</summary>
        public readonly float[] Positions;
        /// <summary>r, g, b per point.</summary>
        public readonly byte[] Colors;

        public int Count { get { return Colors.Length / 3; } }

        PointCloud(float[] positions, byte[] colors)
        {
            Positions = positions;
            Colors = colors;
        }

        static readonly string[] Properties =
        {
            "property float x", "property float y", "property float z",
            "property uchar red", "property uchar green", "property uchar blue",
        };

        public static PointCloud FromPly(byte[] ply)
        {
            int headerEnd = IndexOf(ply, "end_header\n");
            if (headerEnd < 0) throw new FormatException("not a PLY file: no end_header");
            string[] lines = Encoding.ASCII.GetString(ply, 0, headerEnd).Split('\n');
            if (lines[0] != "ply" || lines[1] != "format binary_little_endian 1.0")
                throw new FormatException("expected a binary little-endian PLY, got '" + lines[0] + " / " + lines[1] + "'");
            int count = -1, property = 0;
            foreach (string line in lines)
            {
                if (line.StartsWith("element vertex ")) count = int.Parse(line.Substring(15), System.Globalization.CultureInfo.InvariantCulture);
                else if (line.StartsWith("element ")) throw new FormatException("unexpected " + line);
                else if (line.StartsWith("property "))
                {
                    if (property >= Properties.Length || line != Properties[property])
                        throw new FormatException("unexpected '" + line + "': the export writes " + string.Join(", ", Properties));
                    property++;
                }
            }
            // An empty cloud may come without property lines (the golden vector of an empty export has none).
            if (count < 0 || (count > 0 && property != Properties.Length))
                throw new FormatException("the PLY header lacks its vertex element or properties");
            int start = headerEnd + "end_header\n".Length;
            const int stride = 15;
            if (ply.Length - start != (long)count * stride)
                throw new FormatException(string.Format("{0} points need {1} bytes after the header, got {2}", count, (long)count * stride, ply.Length - start));

            var positions = new float[count * 3];
            var colors = new byte[count * 3];
            var word = new byte[4];
            for (int i = 0; i < count; i++)
            {
                int at = start + i * stride;
                for (int axis = 0; axis < 3; axis++)
                {
                    Buffer.BlockCopy(ply, at + 4 * axis, word, 0, 4);
                    if (!BitConverter.IsLittleEndian) Array.Reverse(word);
                    float v = BitConverter.ToSingle(word, 0);
                    positions[3 * i + axis] = axis == 2 ? -v : v;  // mirrored as UnityPose.PointToUnity does
                }
                colors[3 * i] = ply[at + 12];
                colors[3 * i + 1] = ply[at + 13];
                colors[3 * i + 2] = ply[at + 14];
            }
            return new PointCloud(positions, colors);
        }

        static int IndexOf(byte[] data, string marker)
        {
            byte[] m = Encoding.ASCII.GetBytes(marker);
            int limit = Math.Min(data.Length - m.Length, 4096);  // the header is a few lines
            for (int i = 0; i <= limit; i++)
            {
                int k = 0;
                while (k < m.Length && data[i + k] == m[k]) k++;
                if (k == m.Length) return i;
            }
            return -1;
        }
    }
}
