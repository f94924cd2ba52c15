// Written strictly: only fields that differ from their default are sent, so a plugin never
// sends a field an older daemon does not know.

using System;

namespace GwmEngine
{
    /// <summary>CreateSessionRequest. Width, Height and FovDeg are required; SeedImage is PNG or
    /// JPEG file bytes, or raw RGB8 (top row first) with SeedImageEncoding = Raw and its size.</summary>
    public sealed class CreateSessionRequest
    {
        public byte[] SeedImage;
        public RgbEncoding SeedImageEncoding;
        public int SeedImageWidth, SeedImageHeight;
        /// <summary>Optional metric z-depth of the seed, > 0 at every pixel; null: the model estimates it.</summary>
        public byte[] SeedDepth;
        public DepthEncoding SeedDepthEncoding;
        public int Width, Height;
        public double FovDeg;
        public bool Stereo;
        public double IpdM;
        public RgbEncoding RgbEncoding;
        public DepthEncoding DepthEncoding;
        public int JpegQuality;
        public bool IncludeMask;
        public ulong Seed;
        /// <summary>The world's scale where you know it (protocol 1.1.0): the distance in metres
        /// to what lies at the image centre, or a factor for the estimated depth. 0: not given;
        /// give at most one.</summary>
        public double ScaleCentreDistanceM, ScaleFactor;
        /// <summary>Walk mode: relative moves stop a clearance short of the world's surfaces and
        /// keep above the ground. Leave it off for VR (absolute poses go where the head goes).</summary>
        public bool Walk;

        internal MsgMap ToFields()
        {
            if (SeedImage == null || SeedImage.Length == 0) throw new ArgumentException("SeedImage is required");
            var m = new MsgMap().Add("protocol_version", EngineLink.ProtocolVersion).Add("seed_image", SeedImage);
            if (SeedImageEncoding != RgbEncoding.Unspecified) m.Add("seed_image_encoding", (long)SeedImageEncoding);
            if (SeedImageWidth != 0) m.Add("seed_image_width", SeedImageWidth);
            if (SeedImageHeight != 0) m.Add("seed_image_height", SeedImageHeight);
            if (SeedDepth != null && SeedDepth.Length > 0) m.Add("seed_depth", SeedDepth);
            if (SeedDepthEncoding != DepthEncoding.Unspecified) m.Add("seed_depth_encoding", (long)SeedDepthEncoding);
            m.Add("width", Width).Add("height", Height).Add("fov_deg", FovDeg);
            if (Stereo) m.Add("stereo", true);
            if (IpdM != 0) m.Add("ipd_m", IpdM);
            if (RgbEncoding != RgbEncoding.Unspecified) m.Add("rgb_encoding", (long)RgbEncoding);
            if (DepthEncoding != DepthEncoding.Unspecified) m.Add("depth_encoding", (long)DepthEncoding);
            if (JpegQuality != 0) m.Add("jpeg_quality", JpegQuality);
            if (IncludeMask) m.Add("include_mask", true);
            if (Seed != 0) m.Add("seed", Seed);
            if (ScaleCentreDistanceM != 0) m.Add("scale_centre_distance_m", ScaleCentreDistanceM);
            if (ScaleFactor != 0) m.Add("scale_factor", ScaleFactor);
            if (Walk) m.Add("walk", true);
            return m;
        }
    }
}
