namespace GwmEngine
{
    /// <summary>A rotation quaternion (x, y, z, w), as Unity's Quaternion orders it.</summary>
    public struct GwmQuaternion
    {
        public double X, Y, Z, W;

        public GwmQuaternion(double x, double y, double z, double w) { X = x; Y = y; Z = z; W = w; }

        public override string ToString() { return string.Format("({0:R}, {1:R}, {2:R}, {3:R})", X, Y, Z, W); }
    }
}
