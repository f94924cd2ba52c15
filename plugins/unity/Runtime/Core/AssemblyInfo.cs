using System.Runtime.CompilerServices;

// The mono test program (Tests/Mono) checks the request builders and envelope encoding byte for
// byte against the golden vectors; those stay internal to keep the public API small.
[assembly: InternalsVisibleTo("GwmEngine.MonoTests")]
