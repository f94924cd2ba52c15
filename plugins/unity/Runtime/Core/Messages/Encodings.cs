// How frame images travel: world.proto's RgbEncoding and DepthEncoding, same numbers.

namespace GwmEngine
{
    public enum RgbEncoding { Unspecified = 0, Raw = 1, Jpeg = 2, Png = 3 }

    public enum DepthEncoding { Unspecified = 0, Float32 = 1, Float16 = 2, UInt16Mm = 3 }
}
