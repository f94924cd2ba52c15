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
        /// <summary>The world's own scale, measured from the seed (protocol 1.1.0; 0 from an
        /// older daemon): its median depth in metres, and a walking speed and turn rate that
        /// suit it, so a photo of a cup and one of a valley both feel walkable.</summary>
        public double MedianDepthM, WalkSpeedMps, TurnRateDps;
        /// <summary>Height of the start camera above the ground the seed shows (metres); null
        /// where it shows none (the field is absent on the wire).</summary>
        public double? CameraHeightM;
        /// <summary>Walk mode is on: relative moves stop short of surfaces and above the ground.</summary>
        public bool Walk;

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
                MedianDepthM = Fields.Double(m, "median_depth_m"),
                WalkSpeedMps = Fields.Double(m, "walk_speed_mps"),
                TurnRateDps = Fields.Double(m, "turn_rate_dps"),
                CameraHeightM = m.ContainsKey("camera_height_m") ? Fields.Double(m, "camera_height_m") : (double?)null,
                Walk = Fields.Bool(m, "walk"),
            };
        }
    }
}
