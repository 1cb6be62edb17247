"""Repair, then degrade, never lose the run: every model-written object through the real
SDK against the fake API, with replies that break a rule once (repaired) or every time
(degraded, with a warning in the summary)."""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synthcomp.agents.collaborators_claude import ClaudeCollaborators
from synthcomp.agents.retrospective_claude import Findings, kept_findings
from synthcomp.agents.rubric_claude import RubricDraft, recording
from synthcomp.agents.setup import procedural_draft
from synthcomp.agents.setup_claude import SetupDraft, claude_setup
from synthcomp.brains.base import ArtifactContext
from synthcomp.brains.model.anthropic import AnthropicBrainConfig
from synthcomp.brains.model.client import ModelClient
from synthcomp.brains.model.creation import ModelCreationBrain
from synthcomp.brains.model.plan_rules import FilePlanDraft, as_draft, review
from synthcomp.brains.procedural import ProceduralCreationBrain
from synthcomp.cli import app
from synthcomp.computer.create import with_coordinates
from synthcomp.computer.personas import load_catalog, sample_persona
from synthcomp.computer.show import load_computer
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.models import (
    Collaborator, Computer, ExperienceItem, FilesystemPolicy, Message, PlannedFile, Retrospective, StepRef, UserProfile,
)
from synthcomp.pool.manifest import read_manifest
from synthcomp.workspace import computer_dir, computer_dirs, sim_dir, workspace_of
from tests.brains.fake_anthropic import FakeAnthropic, tool_use

_BLOCK = re.compile(r"^([^\n]+?):\n```json\n(.*?)\n```$", re.S | re.M)


def client_for(fake: FakeAnthropic) -> ModelClient:
    return ModelClient(AnthropicBrainConfig(api_key="test-key", base_url=fake.base_url, backoff_s=0.0),
                       sleep=lambda _: None)


def repair_message(body: dict[str, Any]) -> str:
    return body["messages"][-1]["content"][0]["content"]


def schema_of(body: dict[str, Any]) -> str:
    return body["tools"][0]["input_schema"]["title"]


def procedural_world(seed: int = 3, os_name: str = "windows") -> tuple[UserProfile, FilesystemPolicy, Any]:
    catalog = load_catalog()
    brain = ProceduralCreationBrain(catalog, seed)
    profile = brain.user_profile(with_coordinates(sample_persona(seed, 0, catalog), catalog, seed))
    policy = brain.filesystem_policy(profile, os_name)
    return profile, policy, brain.file_plan(profile, policy)


# --------------------------------------------------------------------------- what the model sees


def test_closed_sets_are_enums_in_the_schemas_the_model_sees() -> None:
    plan = FilePlanDraft.model_json_schema()
    assert plan["title"] == "FilePlan"
    file, edge = plan["$defs"]["PlannedFileDraft"]["properties"], plan["$defs"]["FileEdgeDraft"]["properties"]
    assert "invoice" not in file["artifact_type"]["enum"] and {"docx", "zip", "system"} <= set(file["artifact_type"]["enum"])
    assert edge["kind"]["enum"] == ["references", "derived_from", "later_version_of", "extracted_from"]
    assert file["content_mode"]["enum"][0] == "synthesize"
    setup = SetupDraft.model_json_schema()["$defs"]
    assert setup["OutputDraft"]["properties"]["artifact_type"]["enum"] == ["docx", "xlsx", "pptx", "pdf", "csv", "md"]
    assert "revised_figure" in setup["EventDraft"]["properties"]["kind"]["enum"]
    rubric = recording(RubricDraft)[0].model_json_schema()
    assert rubric["title"] == "RubricDraft"
    assert set(rubric["$defs"]["DraftCriterion"]["properties"]["kind"]["enum"]) == {
        "figures", "coverage", "integrity", "revisions", "visual", "signoff"}


# --------------------------------------------------------------------------- plans


def test_the_procedural_plans_keep_every_rule() -> None:
    for seed, os_name in [(0, "windows"), (1, "macos"), (5, "windows"), (8, "macos")]:
        _, policy, plan = procedural_world(seed, os_name)
        assert review(as_draft(plan), policy)[1] == []


def test_an_edge_to_an_unknown_id_is_sent_back_naming_it_and_the_repair_is_used(fake_api: FakeAnthropic) -> None:
    profile, policy, plan = procedural_world()
    broken = plan.model_dump(mode="json")
    broken["edges"].append({"source": "f9999", "target": plan.files[0].id, "kind": "references"})
    fake_api.replies += [tool_use(broken), tool_use(plan.model_dump(mode="json"))]
    client = client_for(fake_api)
    got = ModelCreationBrain(client, load_catalog(), seed=3).file_plan(profile, policy)
    assert len(fake_api.requests) == 2
    problem = repair_message(fake_api.requests[1])
    assert "edge f9999->f0001 (references) names f9999, which is not the id of a file in the plan" in problem
    assert got == plan and not client.usage.warnings
    sent = fake_api.requests[0]["tools"][0]["input_schema"]
    assert sent["title"] == "FilePlan" and "enum" in sent["$defs"]["PlannedFileDraft"]["properties"]["artifact_type"]


def draft(files: list[tuple[str, str, str, str]], edges: list[tuple[str, str, str]], when: Any) -> FilePlanDraft:
    """A small plan: files as (id, path, type, mode), edges as (source, target, kind)."""
    return FilePlanDraft.model_validate({
        "files": [{"id": i, "path": p, "artifact_type": t, "title": i, "description": i,
                   "timestamp": when + timedelta(hours=n), "origin": "self", "content_mode": m}
                  for n, (i, p, t, m) in enumerate(files)],
        "edges": [{"source": s, "target": t, "kind": k} for s, t, k in edges]})


def test_a_plan_that_keeps_its_problems_is_degraded_field_by_field() -> None:
    _, policy, _ = procedural_world()
    home = policy.home
    plan, findings = review(draft([
        ("f1", f"{home}\\Documents\\Budget.xlsx", "xlsx", "synthesize"),
        ("f2", f"{home}\\Documents\\Invoice.pdf", "invoice", "synthesize"),
        ("f3", "Documents\\relative.docx", "docx", "synthesize"),
        ("f4", f"{home}\\Documents\\Budget (1).xlsx", "xlsx", "copy"),
        ("f5", f"{home}\\Documents\\Pack.zip", "zip", "synthesize"),
        ("f6", f"{home}\\Documents\\Pack\\Scope.pdf", "pdf", "extract"),
        ("f7", f"{home}\\Documents\\Other\\Scope.pdf", "pdf", "extract"),
        ("f8", f"{home}\\Documents\\Lonely.docx", "docx", "copy"),
    ], [("f1", "f4", "derived_from"), ("f2", "f4", "references"), ("f1", "f2", "derived from"),
        ("f5", "f6", "extracted_from"), ("f5", "f7", "extracted_from"), ("f3", "f1", "references")],
        policy.now - timedelta(days=30)), policy)
    files = {f.id: f for f in plan.files}
    assert files["f2"].artifact_type == "pdf"  # 'invoice': by its name
    assert "f3" not in files  # a relative path cannot be held
    assert [(e.source, e.kind) for e in plan.edges if e.target == "f4"] == [("f1", "derived_from")]
    assert ("f1", "f2", "derived_from") in {(e.source, e.target, e.kind) for e in plan.edges}
    assert files["f6"].content_mode == "extract" and files["f7"].content_mode == "synthesize"  # two 'Scope.pdf'
    assert files["f8"].content_mode == "synthesize"  # a copy of nothing
    problems = " | ".join(f.problem for f in findings)
    for expected in ("artifact_type 'invoice' is not one of", "not an absolute Windows path", "would hold two members",
                     "f8 has content_mode 'copy' but no derived_from edge", "f4 is a copy: its one incoming edge"):
        assert expected in problems
    assert review(plan, policy)[1] == []  # what degrading leaves keeps every rule


def test_a_cycle_loses_the_edge_from_its_newest_file() -> None:
    _, policy, _ = procedural_world()
    plan, findings = review(draft([(f"f{i}", f"{policy.home}\\Documents\\d{i}.docx", "docx", "synthesize")
                                   for i in (1, 2, 3)],
                                  [("f1", "f2", "references"), ("f2", "f3", "references"), ("f3", "f1", "references")],
                                  policy.now - timedelta(days=9)), policy)
    assert [(e.source, e.target) for e in plan.edges] == [("f1", "f2"), ("f2", "f3")]
    assert "form a cycle" in findings[0].problem and findings[0].action == "dropped edge f3->f1 to break a cycle"


def test_steps_with_nothing_usable_fall_back_to_the_procedural_brain(fake_api: FakeAnthropic) -> None:
    catalog = load_catalog()
    persona = with_coordinates(sample_persona(3, 0, catalog), catalog, 3)
    procedural = ProceduralCreationBrain(catalog, 3)
    profile = procedural.user_profile(persona)
    policy = procedural.filesystem_policy(profile, "windows")

    def model(body: dict[str, Any]) -> list[dict[str, Any]]:
        if schema_of(body) == "UserProfile":  # nobody to write or send a file
            return tool_use(profile.model_copy(update={"collaborators": []}).model_dump(mode="json"))
        if schema_of(body) == "FilesystemPolicy":  # the wrong OS
            return tool_use(procedural.filesystem_policy(profile, "macos").model_dump(mode="json"))
        return tool_use(draft([("f1", "Documents\\x.docx", "docx", "synthesize")], [], policy.now).model_dump(mode="json"))

    fake_api.default = model
    client = client_for(fake_api)
    brain = ModelCreationBrain(client, catalog, seed=3)
    assert brain.user_profile(persona).collaborators == profile.collaborators
    assert brain.filesystem_policy(profile, "windows") == policy
    assert brain.file_plan(profile, policy) == procedural.file_plan(profile, policy)
    assert [w.rsplit("degraded: ", 1)[1] for w in client.usage.warnings] == [
        "took collaborators from the procedural profile", "used the procedural policy", "used the procedural file plan"]


class SmallWorld:
    """Plays the creation model: a procedural profile and policy, and a small plan that
    keeps a cycle and an extraction from a file that is no archive however often it is
    sent back; content as the procedural writer would write it, except a chart image
    that never has its chart."""

    def __init__(self) -> None:
        self.brain = ProceduralCreationBrain(load_catalog(), seed=0)
        self.policy: FilesystemPolicy | None = None

    def __call__(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        prompt = body["messages"][0]["content"]
        blocks = {label: json.loads(data) for label, data in _BLOCK.findall(prompt)}
        schema = schema_of(body)
        if schema == "UserProfile":
            return tool_use(self.brain.user_profile(sample_persona(0, 0, load_catalog())).model_dump(mode="json"))
        if schema == "FilesystemPolicy":
            self.policy = self.brain.filesystem_policy(UserProfile(**blocks["User profile"]), "windows")
            return tool_use(self.policy.model_dump(mode="json"))
        if schema == "FilePlan":
            assert self.policy is not None
            docs, start = f"{self.policy.home}\\Documents", self.policy.now - timedelta(days=40)
            plan = draft([
                ("f1", f"{docs}\\Budget.xlsx", "xlsx", "synthesize"),
                ("f2", f"{docs}\\Report.docx", "docx", "synthesize"),
                ("f3", f"{docs}\\Report v2.docx", "docx", "revise"),
                ("f4", f"{docs}\\Bundle.zip", "zip", "synthesize"),
                ("f5", f"{docs}\\Bundle\\Notes.txt", "txt", "extract"),
                ("f6", f"{docs}\\Bundle\\Scope.pdf", "pdf", "extract"),
                ("f7", f"{docs}\\Budget chart.png", "png", "synthesize"),
            ], [("f1", "f2", "derived_from"), ("f2", "f3", "later_version_of"), ("f3", "f1", "references"),
                ("f4", "f5", "extracted_from"), ("f2", "f6", "extracted_from")], start)
            return tool_use(plan.model_dump(mode="json"))
        file = PlannedFile(**blocks["File"])
        if file.artifact_type == "png":
            return tool_use({"kind": "image", "style": "chart", "title": "Budget"})  # no chart, every time
        assert self.policy is not None
        context = ArtifactContext(profile=UserProfile(**blocks["Author profile"]), policy=self.policy)
        return tool_use(self.brain.artifact_content(file, context).model_dump(mode="json"))


def test_a_plan_that_stays_broken_still_yields_a_whole_computer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 fake_api: FakeAnthropic) -> None:
    fake_api.default = SmallWorld()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    result = CliRunner().invoke(app, ["create", "--n", "1", "--seed", "2", "--os", "windows", "--brain", "claude",
                                      "--base-url", fake_api.base_url, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    plans = [r for r in fake_api.requests if schema_of(r) == "FilePlan"]
    assert len(plans) == 3  # the plan and two repair turns, each naming what is wrong
    for request in plans[1:]:
        assert "form a cycle" in repair_message(request) and "f2 is a docx file" in repair_message(request)
    computer = next(computer_dirs(tmp_path))
    meta = Computer.model_validate_json((computer / "computer.json").read_text())
    on_disk = sorted(p.name for p in (computer / "files").rglob("*") if p.is_file())
    assert len(on_disk) == len(meta.plan.files) == 7
    assert {e.kind for e in meta.plan.edges if e.target == "f6"} == set()  # no archive holds it: it stands alone
    assert next(f for f in meta.plan.files if f.id == "f6").content_mode == "synthesize"
    plan_warning, chart_warning = meta.warnings
    assert "kept the plan, fixed:" in plan_warning and "dropped edge f3->f1 to break a cycle" in plan_warning
    assert "Budget chart.png: written procedurally, standalone" in chart_warning
    (record,) = [r for (kind, _), r in read_manifest(tmp_path).items() if kind == "computer"]
    assert record["warnings"] == meta.warnings
    assert "2 warning(s)" in result.output


# --------------------------------------------------------------------------- setup


@pytest.fixture(scope="module")
def computer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ws")
    made = create_computers(CreateRequest.from_cli(out=out, n=1, seed=21, os_name="macos", personas=None, workers=1))
    return computer_dir(out, made[0].id)


def broken_setup(computer: Path, days: int) -> dict[str, Any]:
    """A procedural draft with an output of an unknown type, a source the computer lacks,
    a stranger among a deliverable's collaborators and an event outside the month."""
    plan = procedural_draft(load_computer(computer), seed=99, days=days).model_dump(mode="json")
    first = plan["deliverables"][0]
    first["outputs"][0] |= {"artifact_type": "invoice", "path": first["outputs"][0]["path"].rsplit(".", 1)[0] + ".pdf"}
    first["sources"].append("/Users/nobody/missing.xlsx")
    first["collaborators"] = ["Somebody Else"]
    plan["events"] = [{"day": 99, "collaborator": plan["collaborators"][0]["name"], "kind": "moved_deadline",
                       "deliverable": first["id"], "text": ""}]
    return {key: plan[key] for key in ("deliverables", "collaborators", "events")}


def test_a_setup_that_stays_broken_is_cleaned_field_by_field(computer: Path, fake_api: FakeAnthropic) -> None:
    fake_api.default = tool_use(broken_setup(computer, days=5))
    client = client_for(fake_api)
    setup = claude_setup(load_computer(computer), client, seed=99, days=5)
    assert len(fake_api.requests) == 3
    problem = repair_message(fake_api.requests[1])
    assert "artifact_type 'invoice' is not one of docx, xlsx" in problem and "/Users/nobody/missing.xlsx" in problem
    assert "'Somebody Else'" in problem and "day 99 is outside the month (days 1-4)" in problem
    first = setup.deliverables[0]
    assert first.outputs[0].artifact_type == "pdf" and "/Users/nobody/missing.xlsx" not in first.sources
    assert first.collaborators == [] and setup.events[0].day == 4
    (warning,) = client.usage.warnings
    assert "degraded: kept the setup, fixed:" in warning


def test_a_setup_with_nothing_usable_falls_back_to_the_procedural_one(computer: Path, fake_api: FakeAnthropic) -> None:
    fake_api.default = tool_use({"deliverables": [], "collaborators": []})
    client = client_for(fake_api)
    setup = claude_setup(load_computer(computer), client, seed=99, days=5)
    assert setup == procedural_draft(load_computer(computer), seed=99, days=5)
    assert client.usage.warnings[0].endswith("degraded: used the procedural setup")


@pytest.mark.bwrap
def test_a_simulation_starts_on_a_degraded_setup(computer: Path, monkeypatch: pytest.MonkeyPatch,
                                                fake_api: FakeAnthropic) -> None:
    fake_api.replies += [tool_use(broken_setup(computer, days=2))] * 3
    fake_api.default = tool_use({"body": "Noted.\nBest, Sam", "share_files": ["not-theirs.xlsx"]})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    result = CliRunner().invoke(app, ["simulate", str(computer), "--brain", "claude", "--policy", "scripted",
                                      "--days", "2", "--sandbox", "local", "--base-url", fake_api.base_url])
    assert result.exit_code == 0, result.output
    sim = sim_dir(workspace_of(computer), f"{computer.name}-scripted-s0")
    setup = json.loads((sim / "setup.json").read_text())
    assert setup["deliverables"][0]["outputs"][0]["artifact_type"] == "pdf" and setup["truth"]["projects"]
    warnings = json.loads((sim / "summary.json").read_text())["usage"]["warnings"]
    assert "degraded: kept the setup" in warnings[0]
    assert len(warnings) > 1 and all("dropped files they do not hold" in w for w in warnings[1:])  # only what they hold
    assert f"{len(warnings)} warning(s)" in result.output

    replayed = CliRunner().invoke(app, ["simulate", str(computer), "--brain", "claude", "--policy", "scripted",
                                        "--days", "2", "--sandbox", "local", "--base-url", fake_api.base_url,
                                        "--restart-from-day", "1"])
    assert replayed.exit_code == 0, replayed.output  # another process finishes it: the setup's warning stays
    again = json.loads((sim / "summary.json").read_text())["usage"]["warnings"]
    assert "degraded: kept the setup" in again[0] and again[:2] == warnings[:2]


# --------------------------------------------------------------------------- collaborators, retrospectives


def collaborator() -> Collaborator:
    return Collaborator(name="Sam Reyes", email="sam@example.org", role="manager", background="Manager.",
                        communication_style="brief", private_files=["ledger.xlsx"])


def message() -> Message:
    return Message(id="m1", sender="me", to="Sam Reyes", subject="Figures", body="Could you send the figures?",
                   sent_day=0, deliver_day=0)


def test_a_collaborator_attaching_what_they_lack_is_repaired_then_trimmed(fake_api: FakeAnthropic) -> None:
    fake_api.replies.append(tool_use({"body": "Here.\nSam", "share_files": ["ledger.xlsx", "secret.xlsx"]}))
    fake_api.replies.append(tool_use({"body": "Here.\nSam", "share_files": ["ledger.xlsx"]}))
    reply = ClaudeCollaborators(client_for(fake_api))(message(), collaborator(), 1, "m2", random.Random(0))
    assert "share_files ['secret.xlsx'] are not among your private files" in repair_message(fake_api.requests[1])
    assert reply.shared == ["ledger.xlsx"]


def test_a_collaborator_with_no_usable_answer_sends_the_procedural_reply(fake_api: FakeAnthropic) -> None:
    fake_api.default = tool_use({"body": ""})
    client = client_for(fake_api)
    reply = ClaudeCollaborators(client)(message(), collaborator(), 1, "m2", random.Random(0))
    assert reply.shared == ["ledger.xlsx"] and reply.message.body.startswith("Hi,")
    assert "Sam Reyes sent the procedural reply" in client.usage.warnings[0]


def test_a_retrospective_keeps_what_it_cites_truly() -> None:
    def item(*steps: tuple[int, int], practice: str | None = None) -> ExperienceItem:
        return ExperienceItem(situation="s", lesson="l", kind="failure", practice=practice,
                              evidence=[StepRef(sim="sims/x", day=d, step=s) for d, s in steps])

    base = Retrospective(sim_id="x", computer_id="c", occupation="o", industry="i", policy="p", score=0.5,
                         worked=["base"], failed=[], items=[item((0, 1))])
    known = {(0, 1): "read_file", (1, 2): "send_message"}
    got = Findings(worked=["w"], failed=["f"], items=[item((1, 2), (9, 9), practice="made-up"), item((7, 7))])
    kept, done = kept_findings(got, base, "sims/x", known)
    assert [[(e.day, e.step) for e in i.evidence] for i in kept.items] == [[(1, 2)]]
    assert kept.items[0].practice is None and "1 lesson(s) left uncited" in done
    only_invented = Findings(worked=["w"], failed=[], items=[item((7, 7))])
    assert kept_findings(only_invented, base, "sims/x", known)[0].worked == ["base"]
