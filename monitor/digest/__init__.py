"""The weekly digest: what is new in a window, rendered, archived and mailed to each subscriber once.

    window.py      which week (timezone, start day, ISO labels)               pure
    model.py       digest JSON → view model (lead, reports, Previously, …)     pure
    chart.py       tag_volume → the tag chart's bars and legend                pure
    names.py       the watch's name and short tag labels per language          topic file
    i18n.py        the digest's own wording in English and French (Babel)      pure
    render.py      view model → HTML (CSS inlined) and plain text              templates/
    mail.py        rendered parts → one EmailMessage per subscriber            pure
    deliveries.py  the deliveries table: who has been mailed                   store
    smtp.py        messages → SMTP server, retries and refusals                network
    archive.py     digests table, files, index.html, atom.xml                  store, files
    pipeline.py    the orchestrator that Monitor.build_digest / send_digest call
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import SendReport, StoredDigest
    from .window import Window

__all__ = ["SendReport", "StoredDigest", "Window"]
#: Imported on first use: importing one module of the package (``deliveries`` for `monitor status`)
#: must not load the templates and the SMTP code.
_LAZY = {"SendReport": ".pipeline", "StoredDigest": ".pipeline", "Window": ".window"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_LAZY[name], __name__), name)
