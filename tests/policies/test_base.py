"""policy_by_name, the typed configs, and the Policy protocol."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from synthcomp.errors import InputError
from synthcomp.policies import (
    Policy, PolicyConfig, RandomPolicy, RandomPolicyConfig, ScriptedPolicy, ScriptedPolicyConfig, policy_by_name,
)


@pytest.mark.parametrize("name, cls", [("scripted", ScriptedPolicy), ("random", RandomPolicy)])
def test_policy_by_name_builds_each_policy(name: str, cls: type) -> None:
    policy = policy_by_name(name, seed=3)
    assert isinstance(policy, cls)
    assert isinstance(policy, Policy)
    assert policy.name == name


def test_unknown_name_suggests_the_nearest() -> None:
    with pytest.raises(InputError, match=r"unknown policy 'scriptd' \(did you mean 'scripted'\?\); policies: scripted, random"):
        policy_by_name("scriptd")


def test_bad_options_name_the_field() -> None:
    with pytest.raises(InputError, match="end_day_prob"):
        policy_by_name("random", end_day_prob=2)
    with pytest.raises(InputError, match="junk"):
        policy_by_name("scripted", junk_prob=0.5)  # the scripted policy has no such option
    with pytest.raises(InputError, match="seed"):
        policy_by_name("random", seed=-1)


def test_configs_are_a_discriminated_union() -> None:
    adapter = TypeAdapter(PolicyConfig)
    assert adapter.validate_python({"type": "scripted"}) == ScriptedPolicyConfig()
    config = adapter.validate_python({"type": "random", "seed": 4, "end_day_prob": 0})
    assert config == RandomPolicyConfig(seed=4, end_day_prob=0.0)
    assert adapter.validate_json(adapter.dump_json(config)) == config
    policy = config.build()
    assert isinstance(policy, RandomPolicy) and policy.end_day_prob == 0


@pytest.mark.parametrize("name", ["scripted", "random"])
@pytest.mark.parametrize("observation, info", [
    ("", {}), ("error: something", {"tool_error": True}), ("\x00\ud800 garbage", {"steps_left": "many"}),
    (None, None), ("Workday 1 of 3", {"objectives": "not a list", "collaborators": [1, None]}),
    ("x", {"objectives": [{"id": "D1"}, 7, None], "day": "zero"}),
])
def test_act_never_raises_on_odd_input(name: str, observation, info, caplog: pytest.LogCaptureFixture) -> None:
    policy = policy_by_name(name, seed=1)
    policy.reset()
    for _ in range(5):
        action = policy.act(observation, info)
        assert isinstance(action, (dict, str))
    assert not [r for r in caplog.records if r.levelname == "ERROR"], "odd input should be handled, not caught"


@pytest.mark.parametrize("name", ["scripted", "random"])
def test_policies_pickle_and_carry_on_identically(name: str) -> None:
    """The simulation runner checkpoints policies with pickle after each day."""
    import pickle

    policy = policy_by_name(name, seed=2)
    info = {"day": 0, "steps_left": 150, "inbox_unread": 0, "collaborators": ["Ana Lima"], "objectives": [{
        "id": "D1", "title": "Harbour survey: report", "outcome": "A report.", "collaborators": ["Ana Lima"],
        "outputs": [{"path": "/Users/ana/r.docx", "artifact_type": "docx"}], "sources": ["/Users/ana/s.xlsx"]}]}
    policy.reset()
    policy.act("Workday 1 of 3 - Monday\nYou are Ana Lima, analyst.", info)
    clone = pickle.loads(pickle.dumps(policy))
    step = {"day": 0, "steps_left": 149, "inbox_unread": 0, "tool_error": False}
    for observation in ["week 1 plan saved: 2 activities", "/Users/ana (1 entries)\nDIR   2025-01-01 09:00            Work",
                        "/Users/ana/s.xlsx\n## Sheet: Data\nItem | Date | Spend\nA | 2025-01-01 | 3\nB | 2025-01-02 | 4"]:
        assert policy.act(observation, step) == clone.act(observation, step)
