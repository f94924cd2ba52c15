using System;
using UnityEngine;

namespace GwmEngine.Components
{
    /// <summary>
    /// One eye's textures, refilled from each frame: colour (RGB24, sRGB) and metric z-depth
    /// (RFloat, metres, 0 = unknown). Rows are flipped on upload because the link sends the top
    /// row first and Unity textures start at the bottom, so uv (0, 0) is the image's bottom left
    /// as everywhere in Unity.
    /// </summary>
    public sealed class GwmEyeTextures : IDisposable
    {
        public Texture2D Color { get; private set; }
        public Texture2D Depth { get; private set; }

        readonly string _name;

        public GwmEyeTextures(string name) { _name = name; }

        public void Upload(GwmFrame frame, bool rightEye)
        {
            Resize(frame.Width, frame.Height);
            byte[] rgb = rightEye ? frame.RightRgb : frame.Rgb;
            if (frame.RgbEncoding == RgbEncoding.Raw)
            {
                Color.LoadRawTextureData(FrameImages.FlipRows(rgb, frame.Width * 3));
                Color.Apply(false);
            }
            else
            {
                // JPEG and PNG: Unity decodes (and orients) the file itself.
                if (!Color.LoadImage(rgb)) throw new InvalidOperationException("frame " + frame.Index + ": the colour image does not decode");
            }
            Depth.SetPixelData(FrameImages.FlipRows(frame.DepthMetres(rightEye), frame.Width), 0);
            Depth.Apply(false);
        }

        void Resize(int width, int height)
        {
            if (Color != null && Depth != null && Depth.width == width && Depth.height == height) return;
            Dispose();
            Color = new Texture2D(width, height, TextureFormat.RGB24, false, false)
            {
                name = _name + " colour",
                wrapMode = TextureWrapMode.Clamp,
                filterMode = FilterMode.Bilinear,
            };
            // Depth is never interpolated: blending a near and a far pixel invents a surface between them.
            Depth = new Texture2D(width, height, TextureFormat.RFloat, false, true)
            {
                name = _name + " depth",
                wrapMode = TextureWrapMode.Clamp,
                filterMode = FilterMode.Point,
            };
        }

        public void Dispose()
        {
            DestroyAsset(Color);
            DestroyAsset(Depth);
            Color = null;
            Depth = null;
        }

        // The editor window uses these outside play mode, where Destroy is refused.
        internal static void DestroyAsset(UnityEngine.Object asset)
        {
            if (asset == null) return;
            if (Application.isPlaying) UnityEngine.Object.Destroy(asset);
            else UnityEngine.Object.DestroyImmediate(asset);
        }
    }
}
