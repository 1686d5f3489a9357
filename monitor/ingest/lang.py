"""Language of a text (py3langid), with the hint used when the text is too short to tell."""

from __future__ import annotations

import py3langid

#: Below this many characters the classifier is unreliable (tried on titles): use the hint instead.
MIN_CHARS_TO_DETECT = 40
#: Texts are cut here before classifying: the first few thousand characters decide as well as all.
MAX_CHARS_TO_DETECT = 5000


def normalise_hint(hint: str) -> str:
    """"en-US", "fr_FR", "EN" → "en"; anything that is not a short language tag → ""."""
    code = hint.strip().replace("_", "-").split("-", 1)[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else ""


def detect_language(text: str, hint: str = "") -> str:
    """An ISO 639-1 code such as "en" or "fr"; ``hint`` (or "") when the text is too short."""
    sample = text.strip()[:MAX_CHARS_TO_DETECT]
    if len(sample) < MIN_CHARS_TO_DETECT:
        return normalise_hint(hint)
    lang, _score = py3langid.classify(sample)
    return str(lang)
