"""Runs one measure in its own process, so its peak memory is its own: ``python -m bench.worker NAME JSON``.

Prints one JSON object (the measure's result) on the last line of stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any


def _measures() -> dict[str, Callable[..., dict[str, Any]]]:
    from . import scale

    out: dict[str, Callable[..., dict[str, Any]]] = {
        "build_store": scale.build_store, "understand": scale.understand, "digest": scale.digest}
    try:
        from . import fetching

        out |= {"extraction": fetching.extraction, "polling": fetching.polling}
    except ImportError:  # pragma: no cover - fetching measures not importable
        pass
    from . import sending, startup

    return out | {"sending": sending.sending, "startup": startup.startup}


def main(argv: list[str]) -> None:
    name, params = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    result = _measures()[name](**params)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
