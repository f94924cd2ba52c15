"""The gwm.v1 protocol version and the check every session-creating call makes."""

from __future__ import annotations

import re

from gwm_engine.errors import InvalidInput

# Semver of proto/gwm/v1/world.proto: bump the minor for additive changes, the major (and the
# proto package) for breaking ones.
PROTOCOL_VERSION = "1.1.0"
SUPPORTED_MAJORS = (1,)
SUPPORTED_VERSIONS = tuple(f"{major}.x" for major in SUPPORTED_MAJORS)

# Version numbers of up to nine digits: a longer one is no version, and int() of thousands of
# digits is refused by Python itself. fullmatch, because `$` also matches before a final "\n".
_SEMVER = re.compile(r"(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:[-+][0-9A-Za-z.+-]*)?")
MAX_VERSION_CHARS = 64


class ProtocolMismatch(Exception):
    """The client speaks a protocol major this server does not (FAILED_PRECONDITION)."""


def check_protocol_version(version: str) -> None:
    """Accept any version with a supported major; InvalidInput if malformed, else ProtocolMismatch."""
    match = _SEMVER.fullmatch(version) if len(version) <= MAX_VERSION_CHARS else None
    if match is None:
        shown = repr(version) if len(version) <= MAX_VERSION_CHARS else f"{len(version)} characters"
        raise InvalidInput(f"protocol_version must be semver such as {PROTOCOL_VERSION!r}, got {shown}")
    if int(match.group(1)) not in SUPPORTED_MAJORS:
        raise ProtocolMismatch(
            f"protocol version {version} is not supported; this server speaks "
            f"{', '.join(SUPPORTED_VERSIONS)} (current {PROTOCOL_VERSION})"
        )
