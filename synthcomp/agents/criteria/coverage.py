"""*coverage*: each required topic has substantive prose about it, not just a heading.

A topic is covered by a block whose heading names it (any of the topic's words, e.g.
"risk" for "Risks and issues") and whose body is prose a reader can use: enough words,
at least two distinct sentences or bullets of five words or more, written as sentences
(function words make up a normal share of it) rather than keywords, not lifted from the
project's files or messages, and about this project: at least one sentence names one of
its specifics (a figure's name, an entity of its data) *and* says something checkable
about it (a number, or who holds it), which only someone who read the data or asked its
holders can write. "The main risks concern the scrap rate at Line 3" names specifics and
says nothing; "Line 3 accounts for 41% of the downtime" says something. A block that only
has a heading earns nothing; a thin one earns half; generic prose that could sit in any
report earns a quarter. For
"sources" the substance is a list of the files the figures come from, each named with
what it gave.
"""

from __future__ import annotations

import re

from synthcomp.agents.criteria.integrity import Corpus
from synthcomp.agents.criteria.reading import Block, Reading, function_share, words

_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
_FILE = re.compile(r"\.(xlsx|csv|docx|pdf|pptx|md|txt)\b", re.I)

MIN_WORDS = {"docx": 30, "pdf": 30, "pptx": 15, "md": 30, "txt": 30}
MIN_FUNCTION_SHARE = 0.2
MAX_COPIED = 0.5

TOPICS = {
    "executive summary": ("summary", "overview"),
    "risks": ("risk",),
    "next steps": ("next step", "actions", "action plan"),
    "recommendations": ("recommendation",),
    "sources": ("source", "reference"),
    "lessons learned": ("lessons learned", "lessons learnt"),
}
"""A required topic and the words a heading about it uses."""


def _about(block: Block, topic: str) -> bool:
    heading = block.heading.lower()
    return any(key in heading for key in TOPICS.get(topic, (topic,)))


def sentences(block: Block) -> list[str]:
    """The block's sentences a reader can use: five words or more, written as prose."""
    found = [s.strip(" -•") for line in block.prose for s in _SENTENCE.split(line)]
    return list(dict.fromkeys(s for s in found if len(words(s)) >= 5 and function_share(s) >= MIN_FUNCTION_SHARE))


_NUMBER = re.compile(r"\d")


def _names_one(text: str, specifics: list[str]) -> bool:
    lowered = text.lower()
    return any(s.lower() in lowered for s in specifics if len(s) > 2)


def _without(text: str, names: list[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(re.escape(name), " ", text, flags=re.I)
    return text


def _grounded(sentences: list[str], specifics: list[str], people: list[str]) -> bool:
    """Some sentence names a specific and says something checkable about it: a number
    that is not part of a name ('Part 22-0456 housing'), or who holds it."""
    return any(_names_one(s, specifics) and (_NUMBER.search(_without(s, [*specifics, *people]))
                                             or _names_one(s, people)) for s in sentences)


def substance(block: Block, ext: str, corpus: Corpus | None, topic: str = "",
              specifics: list[str] = (), people: list[str] = ()) -> tuple[float, str]:
    """(1, 0.5, 0.25 or 0, why) for one block's body."""
    if topic == "sources":  # the preference is that figures name their files: which file gave what
        named = [line for line in block.lines if _FILE.search(line)]
        said = [line for line in named if _names_one(line, list(specifics))]
        value = 1.0 if len(said) >= 2 else 0.5 if said else 0.25 if named else 0.0
        return value, f"'{block.heading}' names {len(named)} source file(s), {len(said)} with what they gave"
    if not block.prose:
        return 0.0, f"'{block.heading}' is a heading with nothing under it"
    usable = sentences(block)
    text = " ".join(usable)
    counted = words(text)
    if not usable:
        return 0.0, f"'{block.heading}' is a list of keywords or figures, not sentences"
    if corpus is not None and corpus.copied_share(text) > MAX_COPIED:
        return 0.0, f"'{block.heading}' is copied from the project's files or messages"
    if len(counted) < MIN_WORDS.get(ext, 30) or len(usable) < 2:
        return 0.5, f"'{block.heading}' is thin ({len(counted)} words in {len(usable)} sentences)"
    if not _grounded(usable, list(specifics), list(people)):
        return 0.25, (f"'{block.heading}' is generic: no sentence says something checkable (a number, who holds "
                      "it) about the project's figures or data")
    return 1.0, f"'{block.heading}': {len(counted)} words in {len(usable)} sentences"


def score(reading: Reading, topic: str, corpus: Corpus | None, specifics: list[str],
          people: list[str] = ()) -> tuple[float, str, list[str]]:
    ext = reading.path.rsplit(".", 1)[-1].lower()
    blocks = [b for b in reading.blocks if _about(b, topic)]
    if not blocks:
        return 0.0, f"no section on {topic}", []
    best = max(((substance(b, ext, corpus, topic, specifics, people), b) for b in blocks), key=lambda x: x[0][0])
    (value, why), block = best
    quote = " ".join(block.prose)[:240]
    return value, why, [f"{block.heading}: {quote}"] if quote else [block.heading]
