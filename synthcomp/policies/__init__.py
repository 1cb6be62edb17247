"""Policies: what picks the work agent's tool calls (DESIGN.md, "Env contract").

``Policy`` (base.py) is the contract; ``ScriptedPolicy`` (scripted.py) is the offline
deterministic baseline and ``RandomPolicy`` (random_policy.py) the floor and fuzzer.
Build one by name with ``policy_by_name("scripted", seed=0)`` or from a typed config
(``TypeAdapter(PolicyConfig).validate_python({"type": "random", "seed": 3})``).
"""

from synthcomp.policies.base import (
    POLICY_NAMES, Policy, PolicyConfig, RandomPolicyConfig, ScriptedPolicyConfig, policy_by_name,
)
from synthcomp.policies.random_policy import RandomPolicy
from synthcomp.policies.scripted import ScriptedPolicy

__all__ = [
    "POLICY_NAMES", "Policy", "PolicyConfig", "RandomPolicy", "RandomPolicyConfig", "ScriptedPolicy",
    "ScriptedPolicyConfig", "policy_by_name",
]
