namespace GwmEngine
{
    /// <summary>One chunk of a file streamed by <c>save_world_chunks</c> or
    /// <c>export_geometry_chunks</c> (ENGINE_LINK.md, "Files in chunks"): the file is complete
    /// with the chunk where <c>Offset + Data.Length == TotalBytes</c>.</summary>
    public sealed class FileChunk
    {
        public byte[] Data;
        public ulong Offset;
        public ulong TotalBytes;
        public ulong PointCount;

        public bool IsLast { get { return Offset + (ulong)Data.Length == TotalBytes; } }

        public static FileChunk FromFields(MsgMap m)
        {
            return new FileChunk
            {
                Data = Fields.Bytes(m, "data"),
                Offset = Fields.UInt(m, "offset"),
                TotalBytes = Fields.UInt(m, "total_bytes"),
                PointCount = Fields.UInt(m, "point_count"),
            };
        }
    }
}
