using System.Collections.Generic;

namespace GwmEngine
{
    /// <summary>One rendered view. Images are row-major, top row first (Unity textures are
    /// bottom row first: see <see cref="FrameImages"/>).</summary>
    public sealed class GwmFrame
    {
        public ulong Seq, ClientTimeUs, Index;
        public double[] Pose;
        public int Width, Height;
        public double FxPx, FyPx, CxPx, CyPx;
        public RgbEncoding RgbEncoding;
        public byte[] Rgb;
        public DepthEncoding DepthEncoding;
        public byte[] Depth;
        public byte[] Mask;
        public double[] RightPose;
        public byte[] RightRgb, RightDepth, RightMask;
        public Dictionary<string, double> TimingsMs;

        public bool IsStereo { get { return RightRgb.Length > 0; } }

        /// <summary>Metric z-depth in metres, top row first; 0 where unknown (UINT16_MM's 0).</summary>
        public float[] DepthMetres(bool rightEye)
        {
            return FrameImages.DecodeDepth(rightEye ? RightDepth : Depth, DepthEncoding, Width, Height);
        }

        public static GwmFrame FromFields(MsgMap m)
        {
            var timings = new Dictionary<string, double>();
            foreach (var item in Fields.Map(m, "timings_ms")) timings[item.Key] = Fields.Number(item.Key, item.Value);
            return new GwmFrame
            {
                Seq = Fields.UInt(m, "seq"),
                ClientTimeUs = Fields.UInt(m, "client_time_us"),
                Index = Fields.UInt(m, "index"),
                Pose = Fields.Doubles(m, "pose"),
                Width = (int)Fields.UInt(m, "width"),
                Height = (int)Fields.UInt(m, "height"),
                FxPx = Fields.Double(m, "fx_px"),
                FyPx = Fields.Double(m, "fy_px"),
                CxPx = Fields.Double(m, "cx_px"),
                CyPx = Fields.Double(m, "cy_px"),
                RgbEncoding = (RgbEncoding)Fields.Int(m, "rgb_encoding"),
                Rgb = Fields.Bytes(m, "rgb"),
                DepthEncoding = (DepthEncoding)Fields.Int(m, "depth_encoding"),
                Depth = Fields.Bytes(m, "depth"),
                Mask = Fields.Bytes(m, "mask"),
                RightPose = Fields.Doubles(m, "right_pose"),
                RightRgb = Fields.Bytes(m, "right_rgb"),
                RightDepth = Fields.Bytes(m, "right_depth"),
                RightMask = Fields.Bytes(m, "right_mask"),
                TimingsMs = timings,
            };
        }
    }
}
