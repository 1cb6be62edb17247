"""A whole computer created on the Claude brain, through the real SDK, against the fake API.

The fake "model" answers each forced tool call with what the procedural brain would
write for the same inputs, so the test exercises the real plumbing (prompts carrying
the previous steps, schemas, validation, caching) end to end, offline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from synthcomp.brains.base import ArtifactContext, Predecessor
from synthcomp.brains.procedural import ProceduralCreationBrain
from synthcomp.cli import app
from synthcomp.computer.personas import load_catalog
from synthcomp.models import FilePlan, FilesystemPolicy, Persona, PlannedFile, UserProfile
from synthcomp.workspace import computer_dirs
from tests.brains.fake_anthropic import FakeAnthropic, tool_use

_BLOCK = re.compile(r"^([^\n]+?):\n```json\n(.*?)\n```$", re.S | re.M)


class ProceduralModel:
    """Plays Claude for creation requests (see the module docstring)."""

    def __init__(self) -> None:
        self.brain = ProceduralCreationBrain(load_catalog(), seed=0)
        self.plan: FilePlan | None = None
        self.policy: FilesystemPolicy | None = None

    def __call__(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        schema = body["tools"][0]["input_schema"]["title"]
        prompt = body["messages"][0]["content"]
        blocks = {label: json.loads(data) for label, data in _BLOCK.findall(prompt)}
        if schema == "UserProfile":
            out = self.brain.user_profile(Persona(**blocks["Persona"]))
        elif schema == "FilesystemPolicy":
            os_name = "windows" if "windows computer" in prompt else "macos"
            out = self.policy = self.brain.filesystem_policy(UserProfile(**blocks["User profile"]), os_name)
        elif schema == "FilePlan":
            out = self.plan = self.brain.file_plan(UserProfile(**blocks["User profile"]), FilesystemPolicy(**blocks["Filesystem policy"]))
        else:
            assert self.plan is not None and self.policy is not None
            by_path = {f.path: f for f in self.plan.files}
            sources = [(label.split(": ", 1), data) for label, data in blocks.items() if label.startswith("Source")]
            file = PlannedFile(**blocks["File"])
            predecessors = []
            for (head, path), data in sources:
                kind = head[len("Source ("):-1]
                content = self._content_of(by_path[path], data)
                predecessors.append(Predecessor(by_path[path], kind, content))
            context = ArtifactContext(profile=UserProfile(**blocks["Author profile"]), policy=self.policy,
                                      predecessors=predecessors)
            out = self.brain.artifact_content(file, context)
        return tool_use(out.model_dump(mode="json"))

    @staticmethod
    def _content_of(file: PlannedFile, data: dict[str, Any]):
        from pydantic import TypeAdapter

        from synthcomp.models import ArtifactContent

        return TypeAdapter(ArtifactContent).validate_python(data)


def test_a_computer_created_on_claude_then_again_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    fake = FakeAnthropic()
    try:
        fake.replies.extend([ProceduralModel()] * 2000)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        args = ["create", "--n", "1", "--seed", "4", "--os", "windows", "--brain", "claude", "--base-url", fake.base_url]
        first = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "ws")])
        assert first.exit_code == 0, first.output
        computer = next(computer_dirs(tmp_path / "ws"))
        meta = json.loads((computer / "computer.json").read_text())
        assert meta["brain"] == "claude"
        on_disk = [p for p in (computer / "files").rglob("*") if p.is_file()]
        assert len(on_disk) == len(meta["plan"]["files"]) >= 60
        sent = len(fake.requests)
        schemas = {r["tools"][0]["input_schema"]["title"] for r in fake.requests}
        assert {"UserProfile", "FilesystemPolicy", "FilePlan", "DocumentContent", "WorkbookContent"} <= schemas
        assert all(r["tool_choice"] == {"type": "tool", "name": "submit"} for r in fake.requests)

        (tmp_path / "ws2").mkdir()
        (tmp_path / "ws" / ".claude-cache").rename(tmp_path / "ws2" / ".claude-cache")
        second = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "ws2")])
        assert second.exit_code == 0, second.output
        assert len(fake.requests) == sent, "the cache should make the second run issue no requests"
        again = next(computer_dirs(tmp_path / "ws2"))
        assert json.loads((again / "computer.json").read_text())["content_hash"] == meta["content_hash"]
    finally:
        fake.close()
