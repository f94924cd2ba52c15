using System.Collections.Generic;

namespace GwmEngine
{
    /// <summary>The <c>hello</c> reply.</summary>
    public sealed class HelloReply
    {
        public string ProtocolVersion;
        public List<string> SupportedProtocolVersions;
        public string ServerVersion;
        public ulong MaxMessageBytes;

        public static HelloReply FromFields(MsgMap m)
        {
            return new HelloReply
            {
                ProtocolVersion = Fields.String(m, "protocol_version"),
                SupportedProtocolVersions = Fields.Items(m, "supported_protocol_versions", x => (string)x),
                ServerVersion = Fields.String(m, "server_version"),
                MaxMessageBytes = Fields.UInt(m, "max_message_bytes"),
            };
        }
    }
}
