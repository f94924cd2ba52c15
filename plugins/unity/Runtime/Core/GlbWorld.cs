// The .glb of ExportGeometry (GeometryFormat.Glb) read into plain arrays, mirrored into Unity's
// frame: mesh "world" (the world's surfaces, with vertex colours) and mesh "collision" (the same
// surfaces, coarser, within the face budget asked for). The daemon writes glTF 2.0 as
// gwm_engine/world/mesh.py does: triangle lists, float32 POSITION in world metres, RGBA8 COLOR_0,
// uint32 indices, nodes without transforms. The JSON chunk is read with the .NET base library's
// DataContractJsonSerializer (no engine or package dependency).
//
//     var export = await session.ExportGeometryAsync(GeometryFormat.Glb, collisionFaces: 5000);
//     var world = GlbWorld.Read(export.Glb);   // world.World, world.Collision

using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;

namespace GwmEngine
{
    /// <summary>One triangle mesh in Unity's frame (z mirrored, winding reversed to match).</summary>
    public sealed class GlbMesh
    {
        public string Name;
        /// <summary>x, y, z per vertex, metres, Unity's frame.</summary>
        public float[] Positions;
        /// <summary>r, g, b, a per vertex; null when the mesh has no colours (the collision mesh).</summary>
        public byte[] Colors;
        /// <summary>Three vertex indices per triangle, clockwise seen from the front (Unity's rule).</summary>
        public int[] Triangles;

        public int VertexCount { get { return Positions.Length / 3; } }
        public int TriangleCount { get { return Triangles.Length / 3; } }
    }

    /// <summary>The two meshes of an exported world; either is null when the world had none.</summary>
    public sealed class GlbWorld
    {
        public const string WorldMeshName = "world";
        public const string CollisionMeshName = "collision";

        public GlbMesh World;
        public GlbMesh Collision;

        public static GlbWorld Read(byte[] glb)
        {
            var meshes = GlbReader.ReadMeshes(glb);
            GlbMesh world, collision;
            meshes.TryGetValue(WorldMeshName, out world);
            meshes.TryGetValue(CollisionMeshName, out collision);
            return new GlbWorld { World = world, Collision = collision };
        }
    }

    /// <summary>Reads the triangle meshes of a glTF 2.0 binary by name.</summary>
    public static class GlbReader
    {
        const uint Magic = 0x46546C67;  // "glTF"
        const uint JsonChunk = 0x4E4F534A;
        const uint BinChunk = 0x004E4942;

        public static Dictionary<string, GlbMesh> ReadMeshes(byte[] glb)
        {
            if (glb == null || glb.Length < 20 || ReadUInt(glb, 0) != Magic)
                throw new FormatException("not a glTF binary: no 'glTF' header");
            if (ReadUInt(glb, 4) != 2) throw new FormatException("glTF binary version " + ReadUInt(glb, 4) + ", expected 2");
            if (ReadUInt(glb, 8) != glb.Length) throw new FormatException("the glTF binary says " + ReadUInt(glb, 8) + " bytes, got " + glb.Length);
            int jsonLength = (int)ReadUInt(glb, 12);
            if (ReadUInt(glb, 16) != JsonChunk || 20 + jsonLength > glb.Length) throw new FormatException("the first glTF chunk is not JSON");
            Gltf doc;
            var serializer = new DataContractJsonSerializer(typeof(Gltf), new DataContractJsonSerializerSettings { UseSimpleDictionaryFormat = true });
            using (var json = new MemoryStream(glb, 20, jsonLength)) doc = (Gltf)serializer.ReadObject(json);
            int binAt = 20 + jsonLength, binLength = 0;
            if (binAt + 8 <= glb.Length)
            {
                binLength = (int)ReadUInt(glb, binAt);
                if (ReadUInt(glb, binAt + 4) != BinChunk || binAt + 8 + binLength > glb.Length) throw new FormatException("the second glTF chunk is not BIN");
                binAt += 8;
            }
            var bin = new ArraySegment<byte>(glb, binAt, binLength);

            var meshes = new Dictionary<string, GlbMesh>();
            if (doc.meshes == null) return meshes;
            foreach (var mesh in doc.meshes)
            {
                if (mesh.primitives == null || mesh.primitives.Length != 1) throw new FormatException("mesh '" + mesh.name + "' should have one primitive");
                var primitive = mesh.primitives[0];
                int mode = primitive.mode ?? 4;  // glTF's default: triangles
                if (mode != 4) throw new FormatException("mesh '" + mesh.name + "' is not a triangle list (mode " + mode + ")");
                int position, color;
                if (primitive.attributes == null || !primitive.attributes.TryGetValue("POSITION", out position))
                    throw new FormatException("mesh '" + mesh.name + "' has no POSITION");
                float[] positions = Floats(doc, bin, position, "VEC3");
                for (int i = 2; i < positions.Length; i += 3) positions[i] = -positions[i];  // mirrored as UnityPose.PointToUnity does
                byte[] colors = primitive.attributes.TryGetValue("COLOR_0", out color) ? Colors(doc, bin, color) : null;
                if (primitive.indices == null) throw new FormatException("mesh '" + mesh.name + "' has no indices");
                int[] triangles = Indices(doc, bin, primitive.indices.Value, positions.Length / 3);
                // glTF's front faces wind counter-clockwise, Unity's clockwise, and mirroring z does
                // not change how a triangle winds on screen: swap two corners of each.
                for (int t = 0; t < triangles.Length; t += 3)
                {
                    int b = triangles[t + 1];
                    triangles[t + 1] = triangles[t + 2];
                    triangles[t + 2] = b;
                }
                meshes[mesh.name ?? ""] = new GlbMesh { Name = mesh.name, Positions = positions, Colors = colors, Triangles = triangles };
            }
            return meshes;
        }

        static Accessor Check(Gltf doc, int index, string type, int componentType, out ArraySegment<byte> view, ArraySegment<byte> bin)
        {
            if (doc.accessors == null || index < 0 || index >= doc.accessors.Length) throw new FormatException("no accessor " + index);
            var a = doc.accessors[index];
            if (a.type != type || a.componentType != componentType)
                throw new FormatException(string.Format("accessor {0} is {1}/{2}, expected {3}/{4}", index, a.type, a.componentType, type, componentType));
            if (a.bufferView == null || doc.bufferViews == null || a.bufferView.Value >= doc.bufferViews.Length) throw new FormatException("accessor " + index + " has no bufferView");
            var v = doc.bufferViews[a.bufferView.Value];
            if (v.byteStride != 0) throw new FormatException("interleaved buffer views are not read");
            if (v.byteOffset + v.byteLength > bin.Count) throw new FormatException("bufferView past the end of the BIN chunk");
            view = new ArraySegment<byte>(bin.Array, bin.Offset + v.byteOffset + a.byteOffset, v.byteLength - a.byteOffset);
            return a;
        }

        static float[] Floats(Gltf doc, ArraySegment<byte> bin, int index, string type)
        {
            ArraySegment<byte> view;
            var a = Check(doc, index, type, 5126, out view, bin);
            int n = a.count * 3;
            if (n * 4 > view.Count) throw new FormatException("accessor " + index + " overruns its bufferView");
            var result = new float[n];
            for (int i = 0; i < n; i++) result[i] = BitConverter.ToSingle(LittleEndian(view, 4 * i, 4), 0);
            return result;
        }

        static byte[] Colors(Gltf doc, ArraySegment<byte> bin, int index)
        {
            ArraySegment<byte> view;
            var a = Check(doc, index, "VEC4", 5121, out view, bin);
            if (a.count * 4 > view.Count) throw new FormatException("accessor " + index + " overruns its bufferView");
            var result = new byte[a.count * 4];
            Buffer.BlockCopy(view.Array, view.Offset, result, 0, result.Length);
            return result;
        }

        static int[] Indices(Gltf doc, ArraySegment<byte> bin, int index, int vertexCount)
        {
            ArraySegment<byte> view;
            var a = Check(doc, index, "SCALAR", 5125, out view, bin);
            if (a.count % 3 != 0 || a.count * 4 > view.Count) throw new FormatException("accessor " + index + " is not whole triangles in its bufferView");
            var result = new int[a.count];
            for (int i = 0; i < a.count; i++)
            {
                uint v = BitConverter.ToUInt32(LittleEndian(view, 4 * i, 4), 0);
                if (v >= vertexCount) throw new FormatException("index " + v + " past the " + vertexCount + " vertices");
                result[i] = (int)v;
            }
            return result;
        }

        static byte[] LittleEndian(ArraySegment<byte> view, int at, int size)
        {
            var word = new byte[size];
            Buffer.BlockCopy(view.Array, view.Offset + at, word, 0, size);
            if (!BitConverter.IsLittleEndian) Array.Reverse(word);
            return word;
        }

        static uint ReadUInt(byte[] data, int at)
        {
            return (uint)(data[at] | data[at + 1] << 8 | data[at + 2] << 16 | data[at + 3] << 24);
        }

        // The part of the glTF JSON schema read here; names as in the spec.
#pragma warning disable 0649  // set by the serializer
        [DataContract] sealed class Gltf
        {
            [DataMember] public Accessor[] accessors;
            [DataMember] public BufferView[] bufferViews;
            [DataMember] public Mesh[] meshes;
        }

        [DataContract] sealed class Accessor
        {
            [DataMember] public int? bufferView;
            [DataMember] public int byteOffset;
            [DataMember] public int componentType;
            [DataMember] public int count;
            [DataMember] public string type;
        }

        [DataContract] sealed class BufferView
        {
            [DataMember] public int buffer;
            [DataMember] public int byteOffset;
            [DataMember] public int byteLength;
            [DataMember] public int byteStride;
        }

        [DataContract] sealed class Mesh
        {
            [DataMember] public string name;
            [DataMember] public Primitive[] primitives;
        }

        [DataContract] sealed class Primitive
        {
            [DataMember] public Dictionary<string, int> attributes;
            [DataMember] public int? indices;
            [DataMember] public int? mode;
        }
#pragma warning restore 0649
    }
}
