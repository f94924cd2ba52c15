using System;

namespace GwmEngine
{
    /// <summary>gRPC status numbers, which the link's <c>error</c> messages carry as <c>code</c>.</summary>
    public enum StatusCode
    {
        Ok = 0,
        Cancelled = 1,
        Unknown = 2,
        InvalidArgument = 3,
        DeadlineExceeded = 4,
        NotFound = 5,
        AlreadyExists = 6,
        PermissionDenied = 7,
        ResourceExhausted = 8,
        FailedPrecondition = 9,
        Aborted = 10,
        OutOfRange = 11,
        Unimplemented = 12,
        Internal = 13,
        Unavailable = 14,
        DataLoss = 15,
        Unauthenticated = 16,
    }

    /// <summary>
    /// A failed call: an <c>error</c> message from the daemon (its code, code name and text), or a
    /// local failure reported the way a gRPC client would: UNAVAILABLE when the connection is
    /// gone, DEADLINE_EXCEEDED when no reply came in time, INTERNAL for a reply that cannot be read.
    /// </summary>
    public sealed class GwmLinkException : Exception
    {
        public readonly StatusCode Code;
        public readonly string CodeName;
        public readonly string ServerMessage;
        /// <summary>The id of the request this answers; 0 for a message the daemon could not read.</summary>
        public readonly uint RequestId;

        public GwmLinkException(StatusCode code, string codeName, string message, uint requestId)
            : base(codeName + ": " + message)
        {
            Code = code;
            CodeName = codeName;
            ServerMessage = message;
            RequestId = requestId;
        }

        internal static GwmLinkException Local(StatusCode code, string message, uint requestId)
        {
            return new GwmLinkException(code, CodeNameOf(code), message, requestId);
        }

        /// <summary>"NOT_FOUND" for StatusCode.NotFound, as the daemon spells it.</summary>
        public static string CodeNameOf(StatusCode code)
        {
            string name = code.ToString();
            var sb = new System.Text.StringBuilder(name.Length + 4);
            for (int i = 0; i < name.Length; i++)
            {
                if (i > 0 && char.IsUpper(name[i])) sb.Append('_');
                sb.Append(char.ToUpperInvariant(name[i]));
            }
            return sb.ToString();
        }
    }
}
