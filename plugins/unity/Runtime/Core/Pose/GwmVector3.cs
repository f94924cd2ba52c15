namespace GwmEngine
{
    /// <summary>A double-precision vector with no UnityEngine dependency (Unity's Vector3 is float).</summary>
    public struct GwmVector3
    {
        public double X, Y, Z;

        public GwmVector3(double x, double y, double z) { X = x; Y = y; Z = z; }

        public override string ToString() { return string.Format("({0:R}, {1:R}, {2:R})", X, Y, Z); }
    }
}
