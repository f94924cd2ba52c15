"""The gwm.v1 protocol version and the check every session-creating call makes."""

from __future__ import annotations

import re

from gwm_engine.errors import InvalidInput

# Semver of proto/gwm/v1/world.proto: bump the minor for additive changes, the major (and the
# proto package) for breaking ones.
PROTOCOL_VERSION = "1.1.0"
SUPPORTED_MAJORS = (1,)
SUPPORTED_VERSIONS = tuple(f"{major}.x" for major in SUPPORTED_MAJORS)

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+][0-9A-Za-z.+-]*)?$")


class ProtocolMismatch(Exception):
    """The client speaks a protocol major this server does not (FAILED_PRECONDITION)."""


def check_protocol_version(version: str) -> None:
    """Accept any version with a supported major; InvalidInput if malformed, else ProtocolMismatch."""
    match = _SEMVER.match(version)
    if match is None:
        raise InvalidInput(f"protocol_version must be semver such as {PROTOCOL_VERSION!r}, got {version!r}")
    if int(match.group(1)) not in SUPPORTED_MAJORS:
        raise ProtocolMismatch(
            f"protocol version {version} is not supported; this server speaks "
            f"{', '.join(SUPPORTED_VERSIONS)} (current {PROTOCOL_VERSION})"
        )
