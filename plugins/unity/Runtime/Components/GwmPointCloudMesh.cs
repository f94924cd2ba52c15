using UnityEngine;
using UnityEngine.Rendering;

namespace GwmEngine.Components
{
    /// <summary>An exported world (<see cref="GwmSession.ExportGeometryAsync"/>) as a Unity mesh
    /// of points with vertex colours, in the frame of the session's origin (the seed camera), for
    /// previews, or as the input to your own collision or navigation building.</summary>
    public static class GwmPointCloudMesh
    {
        public static Mesh ToMesh(GeometryExport export)
        {
            var cloud = PointCloud.FromPly(export.Ply);
            var vertices = new Vector3[cloud.Count];
            var colors = new Color32[cloud.Count];
            var indices = new int[cloud.Count];
            for (int i = 0; i < cloud.Count; i++)
            {
                vertices[i] = new Vector3(cloud.Positions[3 * i], cloud.Positions[3 * i + 1], cloud.Positions[3 * i + 2]);
                colors[i] = new Color32(cloud.Colors[3 * i], cloud.Colors[3 * i + 1], cloud.Colors[3 * i + 2], 255);
                indices[i] = i;
            }
            var mesh = new Mesh { name = "GWM point cloud", indexFormat = IndexFormat.UInt32 };
            mesh.vertices = vertices;
            mesh.colors32 = colors;
            mesh.SetIndices(indices, MeshTopology.Points, 0);
            return mesh;
        }
    }
}
