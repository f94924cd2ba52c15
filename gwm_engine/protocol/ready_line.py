"""The one line a started daemon prints for programs that launch it: `GWM_READY {json}`.

The JSON object maps each endpoint's name ("grpc", "link", "playground") to its address, with
the real ports where 0 asked for free ones. The human-readable lines around it may change;
this one is the contract.
"""

from __future__ import annotations

import json

PREFIX = "GWM_READY "


def format_ready_line(endpoints: dict[str, str]) -> str:
    return PREFIX + json.dumps(endpoints, separators=(", ", ": "))


def parse_ready_line(text: str) -> dict[str, str] | None:
    """The endpoints of the first ready line in `text` (a daemon's output so far), None before it is complete."""
    for line in text.splitlines(keepends=True):
        if line.startswith(PREFIX) and line.endswith("\n"):
            return json.loads(line[len(PREFIX) :])
    return None
