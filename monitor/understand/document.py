"""An article cut into zoned sentences once, so every judgment reads the same tokens."""

from __future__ import annotations

from dataclasses import dataclass

from .facts import Token, normalise, sentences, tokens

TITLE, LEAD, BODY = "title", "lead", "body"


@dataclass(frozen=True)
class Sentence:
    text: str
    zone: str  # "title", "lead" or "body"
    toks: tuple[Token, ...]


@dataclass(frozen=True)
class Document:
    sentences: tuple[Sentence, ...]

    def zone_of(self, index: int) -> str:
        return self.sentences[index].zone


def build_document(title: str, text: str, lead_sentences: int) -> Document:
    """The title (one sentence), the first ``lead_sentences`` sentences (the lead), then the body. A text
    opening with the headline again (pages often keep it) starts after it."""
    parts: list[Sentence] = []
    body = sentences(text)
    if title.strip():
        parts.append(Sentence(title.strip(), TITLE, tuple(tokens(title))))
        if body and normalise(body[0]) == normalise(title):  # page extraction kept the headline
            body = body[1:]
    for i, sentence in enumerate(body):
        parts.append(Sentence(sentence, LEAD if i < lead_sentences else BODY, tuple(tokens(sentence))))
    return Document(tuple(parts))
