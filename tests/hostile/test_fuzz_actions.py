"""A fuzz target for action parsing: whatever a policy sends, ``step`` answers with an observation.

Hypothesis generates JSON-like values (deep, wide, odd numbers, text with lone
surrogates and control characters, bytes, non-JSON objects), tool calls with random
arguments, and raw text. It runs for a bounded number of examples in ``make test``.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthcomp.env.registry import REGISTRY, parse_action
from synthcomp.errors import ToolError

TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT | st.binary(max_size=8)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=40)
CALLS = st.fixed_dictionaries({"tool": st.sampled_from(sorted(REGISTRY)) | TEXT,
                               "args": st.dictionaries(st.sampled_from(["path", "content", "command", "timeout_s",
                                                                        "kind", "spec", "src", "dst", "query", "to",
                                                                        "subject", "body", "attachments", "plan",
                                                                        "summary", "max_chars"]) | TEXT,
                                                       VALUES, max_size=4)})
ACTIONS = CALLS | VALUES | CALLS.map(lambda c: json.dumps(c, default=repr)) | TEXT


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(ACTIONS)
def test_parsing_either_accepts_or_explains(action):
    try:
        call = parse_action(action)
    except ToolError as exc:
        assert str(exc)
        return
    assert call.spec.name in REGISTRY
    json.dumps(call.args, default=str)


@pytest.fixture(scope="module")
def fake_env(computers, tmp_path_factory):
    from synthcomp.env.workday import WorkdayEnv

    env = WorkdayEnv(computers["windows"], sandbox="fake", run_dir=tmp_path_factory.mktemp("fuzz"), step_budget=10**9,
                     days=1000)
    env.reset(seed=0)
    yield env
    env.close()


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(ACTIONS)
def test_step_never_raises(fake_env, action):
    observation, reward, terminated, truncated, info = fake_env.step(action)
    assert isinstance(observation, str) and len(observation) <= 200_000
    observation.encode("utf-8")
    assert isinstance(info["tool_error"], bool) and math.isfinite(reward)
    if terminated or truncated:
        fake_env.reset()
