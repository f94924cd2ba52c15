namespace GwmEngine
{
    /// <summary>ExportGeometryResponse: a binary little-endian PLY point cloud (world.proto frame).</summary>
    public sealed class GeometryExport
    {
        public byte[] Ply;
        public ulong PointCount;
    }
}
