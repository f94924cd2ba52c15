namespace GwmEngine
{
    /// <summary>A session as created, forked or loaded.</summary>
    public sealed class SessionInfo
    {
        public string SessionId;
        public int Width, Height;
        public double FovDeg;
        public bool Stereo;
        public double IpdM;
        public double[] Pose;
        public ulong Steps;
        public RgbEncoding RgbEncoding;
        public DepthEncoding DepthEncoding;
        public bool IncludeMask;

        public static SessionInfo FromFields(MsgMap m)
        {
            return new SessionInfo
            {
                SessionId = Fields.String(m, "session_id"),
                Width = (int)Fields.UInt(m, "width"),
                Height = (int)Fields.UInt(m, "height"),
                FovDeg = Fields.Double(m, "fov_deg"),
                Stereo = Fields.Bool(m, "stereo"),
                IpdM = Fields.Double(m, "ipd_m"),
                Pose = Fields.Doubles(m, "pose"),
                Steps = Fields.UInt(m, "steps"),
                RgbEncoding = (RgbEncoding)Fields.Int(m, "rgb_encoding"),
                DepthEncoding = (DepthEncoding)Fields.Int(m, "depth_encoding"),
                IncludeMask = Fields.Bool(m, "include_mask"),
            };
        }
    }
}
