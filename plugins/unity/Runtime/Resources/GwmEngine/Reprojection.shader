// The newest frame as geometry (GwmReprojection): each vertex of a grid mesh carries its texel's
// uv, is pushed out to that pixel's metric depth in front of the camera that saw the frame and
// placed in the scene by _GwmFrameToWorld, so any camera draws the frame from where it is now.
// A fragment whose grid cell spans a depth edge (or unknown depth, 0) is cut, not stretched.
// Writes depth, so the scene's own objects sort with the generated world.
//
// Stereo: in single-pass instanced or multiview XR each eye reads its own frame (_GwmColorRight,
// _GwmDepthRight, _GwmFrameToWorldRight for the right eye).
Shader "GwmEngine/Reprojection"
{
    SubShader
    {
        Tags { "Queue" = "Geometry" "RenderType" = "Opaque" "IgnoreProjector" = "True" }

        Pass
        {
            ZWrite On ZTest LEqual Cull Off

            CGPROGRAM
            #pragma vertex vert
            #pragma fragment frag
            #pragma target 3.5
            #pragma multi_compile_instancing
            #include "UnityCG.cginc"

            sampler2D _GwmColor;
            sampler2D _GwmColorRight;
            Texture2D<float> _GwmDepth;
            Texture2D<float> _GwmDepthRight;
            float4 _GwmIntrinsics;  // fx, fy, cx, cy: pixels, rows counted from the top
            float4x4 _GwmFrameToWorld;
            float4x4 _GwmFrameToWorldRight;
            float _GwmTearRatio;

            struct appdata
            {
                float4 vertex : POSITION;
                float2 uv : TEXCOORD0;
                UNITY_VERTEX_INPUT_INSTANCE_ID
            };

            struct v2f
            {
                float4 pos : SV_POSITION;
                float2 uv : TEXCOORD0;
                UNITY_VERTEX_OUTPUT_STEREO
            };

            bool RightEye()
            {
            #if defined(UNITY_STEREO_INSTANCING_ENABLED) || defined(UNITY_STEREO_MULTIVIEW_ENABLED) || defined(UNITY_SINGLE_PASS_STEREO)
                return unity_StereoEyeIndex == 1;
            #else
                return false;
            #endif
            }

            float DepthAt(int2 texel, bool right)
            {
                return right ? _GwmDepthRight.Load(int3(texel, 0)) : _GwmDepth.Load(int3(texel, 0));
            }

            v2f vert(appdata v)
            {
                v2f o;
                UNITY_SETUP_INSTANCE_ID(v);
                UNITY_INITIALIZE_OUTPUT(v2f, o);
                UNITY_INITIALIZE_VERTEX_OUTPUT_STEREO(o);
                bool right = RightEye();
                uint width, height;
                _GwmDepth.GetDimensions(width, height);
                float2 size = float2(width, height);
                float z = DepthAt(int2(v.uv * size), right);
                // Unity's uv counts rows from the bottom; the frame's pixels from the top.
                float2 pixel = float2(v.uv.x * size.x, (1 - v.uv.y) * size.y);
                // The frame camera's space in Unity's axes: x right, y up, looking down +z.
                float3 camera = float3((pixel.x - _GwmIntrinsics.z) / _GwmIntrinsics.x * z,
                                       -(pixel.y - _GwmIntrinsics.w) / _GwmIntrinsics.y * z, z);
                float4x4 toWorld = right ? _GwmFrameToWorldRight : _GwmFrameToWorld;
                o.pos = UnityWorldToClipPos(mul(toWorld, float4(camera, 1)).xyz);
                o.uv = v.uv;
                return o;
            }

            fixed4 frag(v2f i) : SV_Target
            {
                UNITY_SETUP_STEREO_EYE_INDEX_POST_VERTEX(i);
                bool right = RightEye();
                uint width, height;
                _GwmDepth.GetDimensions(width, height);
                // The grid cell around this fragment: its four corner texels.
                int2 corner = clamp(int2(floor(i.uv * float2(width, height) - 0.5)), int2(0, 0), int2(width - 2, height - 2));
                float z00 = DepthAt(corner, right);
                float z10 = DepthAt(corner + int2(1, 0), right);
                float z01 = DepthAt(corner + int2(0, 1), right);
                float z11 = DepthAt(corner + int2(1, 1), right);
                float lo = min(min(z00, z10), min(z01, z11));
                float hi = max(max(z00, z10), max(z01, z11));
                clip(lo > 0 && hi <= lo * _GwmTearRatio ? 1 : -1);
                return right ? tex2D(_GwmColorRight, i.uv) : tex2D(_GwmColor, i.uv);
            }
            ENDCG
        }
    }
    Fallback Off
}
