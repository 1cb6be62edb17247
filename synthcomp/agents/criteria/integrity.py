"""*integrity*: the deliverable is the user's own work about its own project.

It fails, and every other criterion on the file is scaled by ``PENALTY``, when the file:

- holds filler (lorem ipsum, "placeholder", TBD, "insert ... here");
- repeats itself (a quarter of its paragraphs, or one sentence three times);
- is a keyword list or a number dump rather than prose (few function words; lines of
  a dozen numbers outside a table);
- is copied wholesale from the project's files or the messages received (word 8-grams:
  ``MAX_COPIED`` of its prose found in them);
- carries another project's content (names a project it is not about).

The criterion itself carries no weight: clean text earns nothing by being clean.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

from synthcomp.agents.criteria.reading import Reading, function_share, numbers, words

PENALTY = 0.1
SHINGLE = 8
MAX_COPIED = 0.35
KEYWORD_SHARE = 0.12
"""A long line with fewer function words than this is a list of keywords."""
_NAMES_FILE = re.compile(r"\.(xlsx|csv|docx|pdf|pptx|md|txt)\b", re.I)
_FILLER = re.compile(
    r"\blorem\b|\bipsum\b|\bdolor sit\b|\bconsectetur\b|\bplaceholder\b|\bTBD\b|\bTODO\b|\bx{3,}\b"
    r"|\binsert [\w ]{1,30} here\b|\bsample text\b|\btext goes here\b", re.I)


class Corpus:
    """Word 8-grams of what the user was given: the project's files, the messages received."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self.shingles: set[bytes] = set()
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        self.shingles.update(_shingles(words(text)))

    def copied_share(self, text: str) -> float:
        mine = _shingles(words(text))
        return sum(s in self.shingles for s in mine) / len(mine) if mine else 0.0


def _shingles(tokens: list[str]) -> set[bytes]:
    return {hashlib.blake2b(" ".join(tokens[i:i + SHINGLE]).encode(), digest_size=8).digest()
            for i in range(len(tokens) - SHINGLE + 1)}


def check(reading: Reading, corpus: Corpus | None, other_projects: list[str]) -> tuple[float, str, list[str]]:
    """(1 or 0, why, offending spans)."""
    problems: list[str] = []
    spans: list[str] = []
    text = reading.text or ""
    filler = _FILLER.search(text)
    if filler:
        problems.append("filler text")
        spans.append(text[max(0, filler.start() - 60):filler.end() + 60].strip())
    prose = [line for line in reading.prose if len(words(line)) >= 6]
    repeats = Counter(line.lower().strip(" -•") for line in prose)
    duplicated = sum(n - 1 for n in repeats.values() if n > 1)
    if prose and (duplicated >= max(2, len(prose) / 4) or max(repeats.values()) >= 3):
        problems.append("repeated paragraphs")
        spans.append(repeats.most_common(1)[0][0][:200])
    joined = " ".join(reading.prose)
    long_lines = [line for line in reading.prose if len(words(line)) >= 12
                  and not (_NAMES_FILE.search(line) and len(words(line)) < 30)]  # a reference list is not stuffing
    keywords = [line for line in long_lines if function_share(line) < KEYWORD_SHARE]
    if sum(len(words(k)) for k in keywords) >= max(40, 0.3 * sum(len(words(line)) for line in long_lines)):
        problems.append("a keyword list, not prose")
        spans.append(keywords[0][:200])
    dumps = [line for line in reading.prose if len(numbers(line)) >= 12]
    if dumps:
        problems.append("a dump of numbers")
        spans.append(dumps[0][:200])
    if corpus is not None and len(words(joined)) >= 60:
        share = corpus.copied_share(joined)
        if share > MAX_COPIED:
            problems.append(f"{share:.0%} of its prose is copied from the project's files or messages")
    lowered = text.lower()
    foreign = [name for name in other_projects if name and name.lower() in lowered]
    if foreign:
        problems.append(f"content of another project ({', '.join(foreign[:3])})")
        spans.append(foreign[0])
    if problems:
        return 0.0, "fails: " + "; ".join(problems), spans
    return 1.0, "own prose, no filler, repetition, copying or other projects' content", []
