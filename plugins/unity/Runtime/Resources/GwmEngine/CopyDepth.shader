// Copies a render target's depth buffer (bound as a texture through
// RenderTextureSubElement.Depth) into a float colour target, unchanged, so it can be read back;
// GwmCameraCapture then linearises it on the CPU with the tested core (FrameImages.LinearizeDepth).
Shader "GwmEngine/CopyDepth"
{
    SubShader
    {
        Pass
        {
            ZTest Always Cull Off ZWrite Off

            CGPROGRAM
            #pragma vertex vert_img
            #pragma fragment frag
            #include "UnityCG.cginc"

            UNITY_DECLARE_DEPTH_TEXTURE(_GwmSourceDepth);

            float4 frag(v2f_img i) : SV_Target
            {
                return SAMPLE_DEPTH_TEXTURE(_GwmSourceDepth, i.uv);
            }
            ENDCG
        }
    }
    Fallback Off
}
