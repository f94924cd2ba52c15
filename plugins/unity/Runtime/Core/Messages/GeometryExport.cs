namespace GwmEngine
{
    /// <summary>What ExportGeometry returns (world.proto GeometryFormat).</summary>
    public enum GeometryFormat
    {
        Unspecified = 0,
        /// <summary>The world's points as a binary PLY point cloud (<see cref="PointCloud"/>).</summary>
        Ply = 1,
        /// <summary>glTF binary: mesh "world" (surfaces, vertex colours) and mesh "collision"
        /// (<see cref="GlbWorld"/>). Protocol 1.1.0.</summary>
        Glb = 2,
    }

    /// <summary>ExportGeometryResponse: a binary little-endian PLY point cloud, or a glTF binary
    /// (world.proto frame: right-handed, +y up; the readers mirror z for Unity).</summary>
    public sealed class GeometryExport
    {
        public byte[] Ply;
        /// <summary>PLY: its vertices. GLB: the world mesh's vertices.</summary>
        public ulong PointCount;
        /// <summary>The .glb file when <see cref="Format"/> is Glb (else empty).</summary>
        public byte[] Glb;
        public GeometryFormat Format;
        /// <summary>GLB: triangles of the world mesh and of the collision mesh.</summary>
        public ulong FaceCount, CollisionFaceCount;

        public static GeometryExport FromFields(MsgMap m)
        {
            var format = (GeometryFormat)Fields.Int(m, "format");
            return new GeometryExport
            {
                Ply = Fields.Bytes(m, "ply"),
                PointCount = Fields.UInt(m, "point_count"),
                Glb = Fields.Bytes(m, "glb"),
                // A 1.0.0 daemon sends no format: what it sends is PLY.
                Format = format == GeometryFormat.Unspecified ? GeometryFormat.Ply : format,
                FaceCount = Fields.UInt(m, "face_count"),
                CollisionFaceCount = Fields.UInt(m, "collision_face_count"),
            };
        }
    }
}
