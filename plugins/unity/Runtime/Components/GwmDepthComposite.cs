using UnityEngine;

namespace GwmEngine.Components
{
    /// <summary>
    /// Depth-composites the generated world with the scene's own geometry in this camera: a
    /// full-screen quad drawn before opaque objects with GwmEngine/DepthComposite, which writes
    /// the generated colour and metric depth (the global textures a GwmWorldView sets). Put it on
    /// the camera a GwmWorldView drives (its <c>drivenCamera</c>) so the two views line up.
    /// A plain mesh draw in the opaque queue, so it needs no render-pipeline hook; in URP, turn
    /// off Depth Priming, which would skip a depth-writing shader without a depth-only pass.
    /// </summary>
    [RequireComponent(typeof(Camera))]
    [AddComponentMenu("GWM Engine/GWM Depth Composite")]
    public sealed class GwmDepthComposite : MonoBehaviour
    {
        const string ShaderPath = "GwmEngine/DepthComposite";  // Runtime/Resources: always in builds

        Camera _camera;
        Mesh _quad;
        Material _material;

        void OnEnable()
        {
            var shader = Resources.Load<Shader>(ShaderPath);
            if (shader == null)
            {
                Debug.LogError("GWM Engine: shader Resources/" + ShaderPath + " is missing from the package", this);
                enabled = false;
                return;
            }
            _camera = GetComponent<Camera>();
            _material = new Material(shader) { hideFlags = HideFlags.HideAndDontSave };
            _quad = Resources.GetBuiltinResource<Mesh>("Quad.fbx");
        }

        void LateUpdate()
        {
            // Drawn for this camera only (the shader covers the screen of whichever camera draws
            // it), just past the near plane so it is never frustum-culled.
            var inFront = transform.localToWorldMatrix * Matrix4x4.Translate(new Vector3(0, 0, _camera.nearClipPlane + 0.01f));
            Graphics.DrawMesh(_quad, inFront, _material, gameObject.layer, _camera);
        }

        void OnDisable()
        {
            GwmEyeTextures.DestroyAsset(_material);
            _material = null;
        }
    }
}
