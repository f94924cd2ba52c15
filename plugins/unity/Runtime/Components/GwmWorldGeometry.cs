using System;
using System.Threading.Tasks;
using UnityEngine;
using UnityEngine.Rendering;

namespace GwmEngine.Components
{
    /// <summary>
    /// The generated world as scene geometry: exports the session of a <see cref="GwmWorldView"/>
    /// as glTF binary (<see cref="GwmSession.ExportGeometryAsync(GeometryFormat, int, System.Threading.CancellationToken)"/>)
    /// and builds two children under the world's origin: "GWM world mesh" (the surfaces with their
    /// vertex colours) and "GWM world collider" (a <see cref="MeshCollider"/> on the coarser
    /// collision mesh, at most <see cref="collisionFaces"/> triangles), so characters can stand on
    /// and bump into what the daemon generated. Call <see cref="BuildAsync"/> again after exploring
    /// to take in what was added; the previous children are replaced.
    /// </summary>
    public sealed class GwmWorldGeometry : MonoBehaviour
    {
        const string ShaderPath = "GwmEngine/VertexColor";  // Runtime/Resources: always in builds

        [Tooltip("The world view whose session is exported.")]
        public GwmWorldView view;
        [Tooltip("Most triangles of the collision mesh (100..1000000; 0: the daemon's default, 20000).")]
        public int collisionFaces = 20000;
        [Tooltip("Draw the world mesh (off: collider only, e.g. behind the streamed view).")]
        public bool showMesh = true;
        [Tooltip("Material for the world mesh; empty: unlit vertex colours.")]
        public Material material;
        [Tooltip("Physics layer of the collider object.")]
        public int colliderLayer;

        public GameObject MeshObject { get; private set; }
        public MeshCollider Collider { get; private set; }
        public Exception LastError { get; private set; }

        /// <summary>Exports the world and (re)builds the mesh and collider; completes on the main thread.</summary>
        public async Task<GlbWorld> BuildAsync()
        {
            if (view == null || view.Session == null) throw new InvalidOperationException("GwmWorldGeometry needs a GwmWorldView with a running session");
            try
            {
                var export = await view.Session.ExportGeometryAsync(GeometryFormat.Glb, collisionFaces);
                var world = GlbWorld.Read(export.Glb);
                Build(world);
                LastError = null;
                return world;
            }
            catch (Exception e)
            {
                LastError = e;
                throw;
            }
        }

        void Build(GlbWorld world)
        {
            Clear();
            var parent = view.worldOrigin != null ? view.worldOrigin : transform;
            if (world.World != null && showMesh)
            {
                MeshObject = new GameObject("GWM world mesh");
                MeshObject.transform.SetParent(parent, false);
                MeshObject.AddComponent<MeshFilter>().sharedMesh = ToMesh(world.World);
                var renderer = MeshObject.AddComponent<MeshRenderer>();
                renderer.sharedMaterial = material != null ? material : DefaultMaterial();
            }
            if (world.Collision != null)
            {
                var go = new GameObject("GWM world collider") { layer = colliderLayer };
                go.transform.SetParent(parent, false);
                Collider = go.AddComponent<MeshCollider>();
                Collider.sharedMesh = ToMesh(world.Collision);
            }
        }

        /// <summary>Removes the built children.</summary>
        public void Clear()
        {
            if (MeshObject != null) Destroy(MeshObject);
            if (Collider != null) Destroy(Collider.gameObject);
            MeshObject = null;
            Collider = null;
        }

        /// <summary>A Unity mesh of a <see cref="GlbMesh"/> (already in Unity's frame).</summary>
        public static Mesh ToMesh(GlbMesh source)
        {
            var vertices = new Vector3[source.VertexCount];
            for (int i = 0; i < vertices.Length; i++)
                vertices[i] = new Vector3(source.Positions[3 * i], source.Positions[3 * i + 1], source.Positions[3 * i + 2]);
            var mesh = new Mesh { name = "GWM " + source.Name, indexFormat = IndexFormat.UInt32 };
            mesh.vertices = vertices;
            if (source.Colors != null)
            {
                var colors = new Color32[vertices.Length];
                for (int i = 0; i < colors.Length; i++)
                    colors[i] = new Color32(source.Colors[4 * i], source.Colors[4 * i + 1], source.Colors[4 * i + 2], source.Colors[4 * i + 3]);
                mesh.colors32 = colors;
            }
            mesh.triangles = source.Triangles;
            mesh.RecalculateNormals();
            mesh.RecalculateBounds();
            return mesh;
        }

        static Material DefaultMaterial()
        {
            var shader = Resources.Load<Shader>(ShaderPath);
            if (shader == null) throw new MissingReferenceException("shader Resources/" + ShaderPath + " is missing from the package");
            return new Material(shader);
        }

        void OnDestroy()
        {
            Clear();
        }
    }
}
