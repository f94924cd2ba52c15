// Draws the generated view over the whole screen and writes its metric depth into the depth
// buffer, before the scene's opaque geometry (queue Geometry-100): real objects then hide
// generated pixels behind them and are hidden by generated pixels in front of them.
//
// Reads the global textures GwmWorldView sets: _GwmColor / _GwmDepth (left eye or mono) and
// _GwmColorRight / _GwmDepthRight. The camera drawing it must match the generated view's pose
// and field of view (GwmWorldView.drivenCamera does that), and its near/far planes convert the
// metric depth. Used on a full-screen quad by GwmDepthComposite; in single-pass instanced XR
// each eye reads its own pair.
Shader "GwmEngine/DepthComposite"
{
    SubShader
    {
        Tags { "Queue" = "Geometry-100" "RenderType" = "Opaque" "IgnoreProjector" = "True" }

        Pass
        {
            ZWrite On ZTest Always Cull Off

            CGPROGRAM
            #pragma vertex vert
            #pragma fragment frag
            #pragma multi_compile_instancing
            #include "UnityCG.cginc"

            sampler2D _GwmColor;
            sampler2D _GwmDepth;
            sampler2D _GwmColorRight;
            sampler2D _GwmDepthRight;

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

            struct output
            {
                fixed4 color : SV_Target;
                float depth : SV_Depth;
            };

            v2f vert(appdata v)
            {
                v2f o;
                UNITY_SETUP_INSTANCE_ID(v);
                UNITY_INITIALIZE_OUTPUT(v2f, o);
                UNITY_INITIALIZE_VERTEX_OUTPUT_STEREO(o);
                // The quad's uv spans 0..1: stretched over the whole viewport whatever its transform.
                o.pos = float4(v.uv * 2 - 1, UNITY_NEAR_CLIP_VALUE, 1);
                if (_ProjectionParams.x < 0) o.pos.y = -o.pos.y;
                o.uv = v.uv;
                return o;
            }

            output frag(v2f i)
            {
                UNITY_SETUP_STEREO_EYE_INDEX_POST_VERTEX(i);
                float z;
                output o;
            #if defined(UNITY_STEREO_INSTANCING_ENABLED) || defined(UNITY_STEREO_MULTIVIEW_ENABLED) || defined(UNITY_SINGLE_PASS_STEREO)
                if (unity_StereoEyeIndex == 1)
                {
                    o.color = tex2D(_GwmColorRight, i.uv);
                    z = tex2D(_GwmDepthRight, i.uv).r;
                }
                else
            #endif
                {
                    o.color = tex2D(_GwmColor, i.uv);
                    z = tex2D(_GwmDepth, i.uv).r;
                }
                // Metric z-depth to this camera's depth-buffer value: the inverse of LinearEyeDepth,
                // 1/z = _ZBufferParams.z * d + _ZBufferParams.w (reversed-Z included). Unknown depth
                // (0) goes to the far plane.
            #if defined(UNITY_REVERSED_Z)
                float far = 0;
            #else
                float far = 1;
            #endif
                o.depth = z > 0 ? saturate((1.0 / z - _ZBufferParams.w) / _ZBufferParams.z) : far;
                return o;
            }
            ENDCG
        }
    }
    Fallback Off
}
