using UnityEngine;
using UnityEngine.Rendering;

namespace GwmEngine.Components
{
    /// <summary>
    /// Display-rate reprojection, beside <see cref="GwmDepthComposite"/>: the newest frame drawn as
    /// geometry, a grid mesh displaced by the frame's depth (GwmEngine/Reprojection), placed where
    /// the frame's camera stood. Every camera then draws it from where it is now, every display
    /// frame: the <see cref="GwmWorldView.drivenCamera"/> following the predicted pose, or an XR
    /// head, so mouse look, head turns and small moves answer at display rate while new frames
    /// replace the old at the daemon's rate. Grid cells across a depth edge are cut, not
    /// stretched. The mesh writes depth, so the scene's own objects sort with it.
    ///
    /// Stereo-aware: with stereo frames, each eye draws its own frame (single-pass instanced
    /// and multiview read the eye index; multi-pass draws once per eye).
    /// </summary>
    [AddComponentMenu("GWM Engine/GWM Reprojection")]
    public sealed class GwmReprojection : MonoBehaviour
    {
        const string ShaderPath = "GwmEngine/Reprojection";  // Runtime/Resources: always in builds
        // How far from the frame's camera the world may reach (metres), for culling the mesh.
        const float ReachM = 1000f;

        static readonly int ColorId = Shader.PropertyToID("_GwmColor");
        static readonly int DepthId = Shader.PropertyToID("_GwmDepth");
        static readonly int ColorRightId = Shader.PropertyToID("_GwmColorRight");
        static readonly int DepthRightId = Shader.PropertyToID("_GwmDepthRight");
        static readonly int IntrinsicsId = Shader.PropertyToID("_GwmIntrinsics");
        static readonly int FrameToWorldId = Shader.PropertyToID("_GwmFrameToWorld");
        static readonly int FrameToWorldRightId = Shader.PropertyToID("_GwmFrameToWorldRight");
        static readonly int TearRatioId = Shader.PropertyToID("_GwmTearRatio");

        public GwmWorldView view;
        [Tooltip("Pixels between grid vertices: 1 follows depth at every pixel; more draws fewer triangles (colour keeps every pixel).")]
        [Range(1, 8)] public int gridStep = 1;
        [Tooltip("Corners whose depths differ by more than this ratio lie on different surfaces: the cell between them is cut.")]
        public float tearRatio = 1.12f;
        [Tooltip("Only this camera draws it; empty: every camera.")]
        public Camera onlyCamera;

        Material _material;
        Mesh _grid;
        int _gridWidth, _gridHeight, _gridStep;

        void Reset()
        {
            view = GetComponent<GwmWorldView>();
        }

        void OnEnable()
        {
            var shader = Resources.Load<Shader>(ShaderPath);
            if (shader == null)
            {
                Debug.LogError("GWM Engine: shader Resources/" + ShaderPath + " is missing from the package", this);
                enabled = false;
                return;
            }
            _material = new Material(shader) { hideFlags = HideFlags.HideAndDontSave };
        }

        void OnDisable()
        {
            GwmEyeTextures.DestroyAsset(_material);
            GwmEyeTextures.DestroyAsset(_grid);
            _material = null;
            _grid = null;
            _gridWidth = _gridHeight = 0;
        }

        void LateUpdate()
        {
            if (view == null || _material == null) return;
            var frame = view.LastFrame;
            if (frame == null || view.LeftEye == null || view.LeftEye.Depth == null) return;
            EnsureGrid(frame.Width, frame.Height);
            var right = frame.IsStereo ? view.RightEye : view.LeftEye;
            _material.SetTexture(ColorId, view.LeftEye.Color);
            _material.SetTexture(DepthId, view.LeftEye.Depth);
            _material.SetTexture(ColorRightId, right.Color);
            _material.SetTexture(DepthRightId, right.Depth);
            _material.SetVector(IntrinsicsId, new Vector4((float)frame.FxPx, (float)frame.FyPx, (float)frame.CxPx, (float)frame.CyPx));
            Matrix4x4 left = view.FrameCameraToScene(false);
            _material.SetMatrix(FrameToWorldId, left);
            _material.SetMatrix(FrameToWorldRightId, view.FrameCameraToScene(true));
            _material.SetFloat(TearRatioId, tearRatio);
            // The shader moves the vertices; the bounds say where they can end up.
            _grid.bounds = new Bounds(left.GetColumn(3), Vector3.one * (2 * ReachM));
            Graphics.DrawMesh(_grid, Matrix4x4.identity, _material, gameObject.layer, onlyCamera, 0, null, ShadowCastingMode.Off, false);
        }

        void EnsureGrid(int width, int height)
        {
            if (_grid != null && width == _gridWidth && height == _gridHeight && gridStep == _gridStep) return;
            GwmEyeTextures.DestroyAsset(_grid);
            _grid = Grid(width, height, Mathf.Max(1, gridStep));
            _gridWidth = width;
            _gridHeight = height;
            _gridStep = gridStep;
        }

        /// <summary>A grid of vertices every <paramref name="step"/> pixels (and on the last row
        /// and column), each carrying its texel's centre as uv (Unity's: v = 0 is the bottom row,
        /// as the eye textures are uploaded); the shader places it from its depth.</summary>
        static Mesh Grid(int width, int height, int step)
        {
            int columns = (width - 2) / step + 2, rows = (height - 2) / step + 2;
            var vertices = new Vector3[columns * rows];
            var uvs = new Vector2[columns * rows];
            for (int j = 0; j < rows; j++)
                for (int i = 0; i < columns; i++)
                {
                    int x = Mathf.Min(i * step, width - 1), y = Mathf.Min(j * step, height - 1);
                    uvs[j * columns + i] = new Vector2((x + 0.5f) / width, (y + 0.5f) / height);
                }
            var triangles = new int[(columns - 1) * (rows - 1) * 6];
            int n = 0;
            for (int j = 0; j + 1 < rows; j++)
                for (int i = 0; i + 1 < columns; i++)
                {
                    int v = j * columns + i;
                    triangles[n++] = v;
                    triangles[n++] = v + columns;
                    triangles[n++] = v + 1;
                    triangles[n++] = v + 1;
                    triangles[n++] = v + columns;
                    triangles[n++] = v + columns + 1;
                }
            var mesh = new Mesh { name = "GWM reprojection grid", hideFlags = HideFlags.HideAndDontSave };
            mesh.indexFormat = vertices.Length > 65535 ? IndexFormat.UInt32 : IndexFormat.UInt16;
            mesh.vertices = vertices;
            mesh.uv = uvs;
            mesh.triangles = triangles;
            return mesh;
        }
    }
}
