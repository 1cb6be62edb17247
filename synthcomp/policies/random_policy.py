"""RandomPolicy: random valid-looking tool calls. The floor of every score, and a fuzzer.

Each step picks a tool at random and fills its arguments from what the policy has seen:
paths from the objectives (sources and outputs), from ``list_dir``/``search_files``
results (their data in ``info``) and from ``ls``-like shell output. With probability ``junk_prob`` the call is
malformed on purpose (bad JSON, an unknown tool, missing or mistyped arguments, a path
that escapes the computer, a bad spec), which the env must answer with ``tool_error``.
With probability ``end_day_prob`` it ends the day; otherwise the step budget does.

It never sends what would take the env down rather than exercise it: shell commands
come from a fixed list of short, harmless ones, and document specs, though random, hold
printable text, finite numbers and non-empty charts and tables.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from synthcomp.toolresults import DirListing, SearchMatches, ShellRun, data_of

TOOLS = ("shell", "list_dir", "read_file", "write_file", "create_document", "move", "delete", "search_files",
         "send_message", "check_inbox", "submit_week_plan")
_WEIGHTS = (14, 14, 20, 6, 6, 2, 2, 5, 5, 5, 3)
_WORDS = ("budget", "report", "draft", "final", "notes", "summary", "data", "review", "q3", "plan", "total", "meeting",
          "naïve", "café", "Übersicht", "2025", "v2", "copy")
_FOLDERS = (".", "Documents", "Desktop", "Downloads", "~", "Documents/..", "Pictures")
_SHELL = (
    "ls", "ls -la", "pwd", "echo x", "date", "whoami", "true", "false", "exit 3", "echo $HOME", "ls /",
    "python3 -c 'print(sum(range(10)))'", "find . -maxdepth 2 -type d | head -20", "du -sh . 2>/dev/null",
    "printf 'a\\tb\\nc\\n'", "seq 1 20000", "env | wc -l", "uname -a", "cd Documents && ls", "cd ~", "cd ..",
    "mkdir -p scratch && touch scratch/note.txt && ls scratch", "echo 'temp' > tmp_random.txt && cat tmp_random.txt",
    "rm -f tmp_random.txt", "echo naïve café ✓", "sleep 0.05; echo slept",
    "cat /etc/hostname", "ls nonexistent_folder", "echo err >&2", "(echo background &) ; echo fg",
)


class RandomPolicy:
    """See the module docstring.

    Args:
        seed: seeds the policy's ``random.Random``.
        end_day_prob: chance that a step is ``end_day``.
        junk_prob: chance that a step is malformed on purpose.
    """

    name = "random"

    def __init__(self, seed: int = 0, end_day_prob: float = 0.01, junk_prob: float = 0.1) -> None:
        self.rng = random.Random(seed)
        self.end_day_prob, self.junk_prob = end_day_prob, junk_prob
        self.files: list[str] = []
        self.folders: list[str] = list(_FOLDERS)
        self.names: list[str] = []
        self.collaborators: list[str] = []

    def reset(self) -> None:
        pass

    def act(self, observation: str, info: dict[str, Any]) -> dict[str, Any]:
        """The next call; paths are harvested from the last result's ``info["data"]``."""
        try:
            self._harvest(info if isinstance(info, dict) else {})
            action = self._choose()
        except Exception:  # never raise: a harvesting bug must not stop a fuzzing run
            action = {"tool": "check_inbox", "args": {}}
        return action

    # ------------------------------------------------------------------ what it has seen
    def _remember(self, bucket: list[str], value: str) -> None:
        if value and value not in bucket:
            bucket.append(value)
            if len(bucket) > 400:
                bucket.pop(self.rng.randrange(len(bucket)))

    def _harvest(self, info: dict[str, Any]) -> None:
        for objective in info.get("objectives") or []:
            if isinstance(objective, dict):
                for path in objective.get("sources") or []:
                    self._remember(self.files, str(path))
                for output in objective.get("outputs") or []:
                    if isinstance(output, dict) and output.get("path"):
                        self._remember(self.files, str(output["path"]))
        for name in info.get("collaborators") or []:
            self._remember(self.collaborators, str(name))
        listing, found = data_of(info, DirListing), data_of(info, SearchMatches)
        if listing is not None:
            for entry in listing.entries:
                if entry.kind in {"dir", "file"}:
                    self._remember(self.folders if entry.kind == "dir" else self.files, entry.path)
        elif found is not None:
            for path in found.matches:
                self._remember(self.files, path)
        elif (ran := data_of(info, ShellRun)) is not None:
            for line in ran.stdout.splitlines()[:50]:
                if re.fullmatch(r"[\w .,()'&+@-]{1,80}\.\w{1,5}", line.strip()):
                    self._remember(self.names, line.strip())

    def _path(self, folder: bool = False) -> str:
        rng = self.rng
        if folder:
            return rng.choice(self.folders)
        pool = self.files + self.names
        if pool and rng.random() < 0.85:
            return rng.choice(pool)
        return f"{rng.choice(self.folders)}/{rng.choice(_WORDS)}.{rng.choice(['txt', 'docx', 'xlsx', 'md', 'csv', 'pdf'])}"

    def _text(self, lo: int = 1, hi: int = 12) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(lo, hi)))

    # ------------------------------------------------------------------ choosing
    def _choose(self) -> dict[str, Any] | Any:
        rng = self.rng
        if rng.random() < self.end_day_prob:
            return {"tool": "end_day", "args": {"summary": self._text()}}
        if rng.random() < self.junk_prob:
            return self._junk()
        tool = rng.choices(TOOLS, weights=_WEIGHTS)[0]
        return {"tool": tool, "args": getattr(self, f"_args_{tool}")()}

    def _args_shell(self) -> dict[str, Any]:
        command = self.rng.choice(_SHELL)
        if self.names and self.rng.random() < 0.3:
            command = f"wc -c {json.dumps(self.rng.choice(self.names))}"
        args: dict[str, Any] = {"command": command}
        if self.rng.random() < 0.2:
            args["timeout_s"] = self.rng.choice([1, 5, 10.5])
        return args

    def _args_list_dir(self) -> dict[str, Any]:
        return {"path": self._path(folder=True)} if self.rng.random() < 0.9 else {}

    def _args_read_file(self) -> dict[str, Any]:
        args: dict[str, Any] = {"path": self._path()}
        if self.rng.random() < 0.3:
            args["max_chars"] = self.rng.choice([1, 50, 500, 5000])
        return args

    def _args_write_file(self) -> dict[str, Any]:
        folder = self._path(folder=True)
        return {"path": f"{folder}/{self.rng.choice(_WORDS)}_{self.rng.randint(1, 99)}.{self.rng.choice(['txt', 'md', 'csv'])}",
                "content": "\n".join(self._text() for _ in range(self.rng.randint(1, 5)))}

    def _args_create_document(self) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choice(["docx", "xlsx", "pptx", "pdf"])
        outputs = [p for p in self.files if p.lower().endswith("." + kind)]
        path = rng.choice(outputs) if outputs and rng.random() < 0.3 else f"{self._path(folder=True)}/{rng.choice(_WORDS)}.{kind}"
        if kind == "xlsx":
            n = rng.randint(1, 4)
            spec = {"sheets": [{"name": rng.choice(_WORDS)[:31], "columns": [{"name": "Item", "type": "text"}] + [
                {"name": f"{rng.choice(_WORDS)} {i}", "type": rng.choice(["int", "number", "currency"])} for i in range(n)],
                "rows": [[rng.choice(_WORDS), *[rng.randint(0, 10_000) for _ in range(n)]] for _ in range(rng.randint(0, 8))],
                "total_row": rng.random() < 0.5}]}
        elif kind == "pptx":
            categories = [rng.choice(_WORDS) for _ in range(rng.randint(1, 5))]
            slide: dict[str, Any] = {"title": self._text(1, 4), "bullets": [self._text() for _ in range(rng.randint(0, 4))]}
            if rng.random() < 0.5:
                slide["chart"] = {"title": self._text(1, 3), "categories": categories,
                                  "series": [{"name": "s", "values": [round(rng.uniform(0, 100), 2) for _ in categories]}]}
            spec = {"slides": [slide]}
        else:
            spec = {"sections": [{"heading": self._text(1, 4), "paragraphs": [self._text(5, 40)],
                                  "bullets": [self._text() for _ in range(rng.randint(0, 3))]}
                                 for _ in range(rng.randint(1, 3))]}
        return {"path": path, "kind": kind, "spec": spec}

    def _args_move(self) -> dict[str, Any]:
        return {"src": self._path(), "dst": f"{self._path(folder=True)}/{self.rng.choice(_WORDS)}_{self.rng.randint(1, 99)}"}

    def _args_delete(self) -> dict[str, Any]:
        return {"path": self._path()}

    def _args_search_files(self) -> dict[str, Any]:
        return {"query": self.rng.choice(_WORDS), "path": self._path(folder=True)}

    def _args_send_message(self) -> dict[str, Any]:
        to = self.rng.choice(self.collaborators) if self.collaborators else "someone"
        args: dict[str, Any] = {"to": to, "subject": self._text(1, 5), "body": self._text(3, 30)}
        if self.files and self.rng.random() < 0.2:
            args["attachments"] = [self.rng.choice(self.files)]
        return args

    def _args_check_inbox(self) -> dict[str, Any]:
        return {}

    def _args_submit_week_plan(self) -> dict[str, Any]:
        rng = self.rng
        activities = [{"day": rng.randint(0, 19), "kind": rng.choice(["deep_work", "review", "admin", "outreach"]),
                       "description": self._text(2, 8)} for _ in range(rng.randint(1, 5))]
        return {"plan": {"goals": [self._text(2, 6)], "activities": activities}}

    def _junk(self) -> Any:
        """A malformed call of one of the kinds the env must answer with ``tool_error``."""
        rng = self.rng
        tool = rng.choice(TOOLS)
        escapes = ["../../../../etc/passwd", "/etc/shadow", "..\\..\\..\\x", "/proc/self/environ", "~/../../..",
                   "\\\\server\\share\\x"]
        kinds = [
            lambda: rng.choice(["", "list_dir Documents", "{", '{"tool": "read_file", "args": ', "null", "[]", "42"]),
            lambda: {"tool": rng.choice(["reed_file", "ls", "cat", "end-day", "READ_FILE", ""]), "args": {}},
            lambda: {"tool": tool},
            lambda: {"tool": tool, "args": {"bogus": 1}},
            lambda: {"tool": tool, "args": "not an object"},
            lambda: {"tool": tool, "args": {}, "extra": True},
            lambda: {"tool": "read_file", "args": {"path": rng.choice(escapes)}},
            lambda: {"tool": "read_file", "args": {"path": self._path(), "max_chars": rng.choice([0, -5, "many"])}},
            lambda: {"tool": "list_dir", "args": {"path": "x" * rng.choice([300, 5000])}},
            lambda: {"tool": "shell", "args": {"command": rng.choice(["", "   "]), "timeout_s": rng.choice([0, -1, 601])}},
            lambda: {"tool": "create_document", "args": {
                "path": "Documents/x.docx", "kind": rng.choice(["xlsx", "odt", "DOCX"]), "spec": {"sections": []}}},
            lambda: {"tool": "create_document", "args": {"path": "Documents/y.xlsx", "kind": "xlsx", "spec": {"sheets": "x"}}},
            lambda: {"tool": "write_file", "args": {"path": "Documents/z.docx", "content": "plain text"}},
            lambda: {"tool": "send_message", "args": {
                "to": rng.choice(["nobody@example.com", "", "Zaphod"]), "subject": "s", "body": "b"}},
            lambda: {"tool": "submit_week_plan", "args": {
                "plan": {"activities": [{"day": -1, "kind": "nap", "description": 3}]}}},
            lambda: {"tool": "end_day", "args": {"summary": "   "}},
        ]
        return rng.choice(kinds)()
