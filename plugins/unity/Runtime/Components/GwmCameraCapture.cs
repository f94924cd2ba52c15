using UnityEngine;
using UnityEngine.Rendering;

namespace GwmEngine.Components
{
    /// <summary>
    /// Seeds for CreateSession from Unity: a Camera's colour and metric depth, or a Texture.
    ///
    /// The daemon centre-crops the seed to the output's aspect ratio and reads it with the
    /// output's vertical field of view, so a capture is taken at the output size with the
    /// camera's own field of view, and the session is created with that same field of view:
    /// the generated world then lines up with the scene the camera saw, its origin at the camera.
    /// </summary>
    public static class GwmCameraCapture
    {
        const string CopyDepthShader = "GwmEngine/CopyDepth";  // Runtime/Resources: always in builds

        static Material _copyDepth;

        /// <summary>Renders <paramref name="camera"/> once into an off-screen target (the camera's
        /// own target is left as it was) and fills a request with raw RGB8 and, with
        /// <paramref name="withDepth"/>, float32 metric z-depth. Call from the main thread.</summary>
        public static CreateSessionRequest FromCamera(Camera camera, int width, int height, bool withDepth)
        {
            if (camera.orthographic)
                throw new System.ArgumentException("camera '" + camera.name + "' is orthographic: a seed needs a perspective view");
            var target = RenderTexture.GetTemporary(new RenderTextureDescriptor(width, height, RenderTextureFormat.ARGB32, 24)
            {
                sRGB = true,
                msaaSamples = 1,  // a multisampled depth buffer cannot be sampled as a texture
            });
            var previousTarget = camera.targetTexture;
            try
            {
                camera.targetTexture = target;
                camera.Render();
            }
            finally
            {
                camera.targetTexture = previousTarget;
            }
            try
            {
                var request = new CreateSessionRequest
                {
                    SeedImage = ReadRgb(target),
                    SeedImageEncoding = RgbEncoding.Raw,
                    SeedImageWidth = width,
                    SeedImageHeight = height,
                    Width = width,
                    Height = height,
                    FovDeg = camera.fieldOfView,
                };
                if (withDepth)
                {
                    request.SeedDepth = ReadDepth(target, camera.nearClipPlane, camera.farClipPlane);
                    request.SeedDepthEncoding = DepthEncoding.Float32;
                }
                return request;
            }
            finally
            {
                RenderTexture.ReleaseTemporary(target);
            }
        }

        /// <summary>Longest side of a texture seed as sent; larger textures are scaled down (the
        /// daemon would shrink them to the output size anyway).</summary>
        public const int MaxSeedSide = 2048;

        /// <summary>A request seeded from any texture (readable or not: it is copied on the GPU) at
        /// its own aspect ratio, which the daemon centre-crops to the output's; the model
        /// estimates depth.</summary>
        public static CreateSessionRequest FromTexture(Texture texture, int width, int height, float fovDeg)
        {
            float scale = Mathf.Min(1f, (float)MaxSeedSide / Mathf.Max(texture.width, texture.height));
            int seedWidth = Mathf.Max(1, Mathf.RoundToInt(texture.width * scale));
            int seedHeight = Mathf.Max(1, Mathf.RoundToInt(texture.height * scale));
            var target = RenderTexture.GetTemporary(seedWidth, seedHeight, 0, RenderTextureFormat.ARGB32, RenderTextureReadWrite.sRGB);
            try
            {
                Graphics.Blit(texture, target);
                return new CreateSessionRequest
                {
                    SeedImage = ReadRgb(target),
                    SeedImageEncoding = RgbEncoding.Raw,
                    SeedImageWidth = seedWidth,
                    SeedImageHeight = seedHeight,
                    Width = width,
                    Height = height,
                    FovDeg = fovDeg,
                };
            }
            finally
            {
                RenderTexture.ReleaseTemporary(target);
            }
        }

        /// <summary>RGB8, top row first.</summary>
        static byte[] ReadRgb(RenderTexture source)
        {
            var readback = new Texture2D(source.width, source.height, TextureFormat.RGB24, false, false);
            var previous = RenderTexture.active;
            try
            {
                RenderTexture.active = source;
                readback.ReadPixels(new Rect(0, 0, source.width, source.height), 0, 0, false);
                return FrameImages.FlipRows(readback.GetRawTextureData(), source.width * 3);
            }
            finally
            {
                RenderTexture.active = previous;
                GwmEyeTextures.DestroyAsset(readback);
            }
        }

        /// <summary>Float32 metric z-depth bytes, top row first: the depth buffer copied to a float
        /// texture on the GPU, read back, then linearised by the tested core.</summary>
        static byte[] ReadDepth(RenderTexture source, float near, float far)
        {
            if (_copyDepth == null)
            {
                var shader = Resources.Load<Shader>(CopyDepthShader);
                if (shader == null) throw new MissingReferenceException("shader Resources/" + CopyDepthShader + " is missing from the package");
                _copyDepth = new Material(shader) { hideFlags = HideFlags.HideAndDontSave };
            }
            var raw = RenderTexture.GetTemporary(source.width, source.height, 0, RenderTextureFormat.RFloat, RenderTextureReadWrite.Linear);
            var readback = new Texture2D(source.width, source.height, TextureFormat.RFloat, false, true);
            var previous = RenderTexture.active;
            try
            {
                _copyDepth.SetTexture("_GwmSourceDepth", source, RenderTextureSubElement.Depth);
                Graphics.Blit(null, raw, _copyDepth);
                RenderTexture.active = raw;
                readback.ReadPixels(new Rect(0, 0, source.width, source.height), 0, 0, false);
                float[] depth = readback.GetRawTextureData<float>().ToArray();
                FrameImages.LinearizeDepth(depth, near, far, SystemInfo.usesReversedZBuffer);
                return FrameImages.EncodeDepthFloat32(FrameImages.FlipRows(depth, source.width));
            }
            finally
            {
                RenderTexture.active = previous;
                RenderTexture.ReleaseTemporary(raw);
                GwmEyeTextures.DestroyAsset(readback);
            }
        }
    }
}
