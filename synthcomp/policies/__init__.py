"""Policies: what picks the work agent's tool calls (DESIGN.md, "Env contract").

``Policy`` (base.py) is the contract; ``ScriptedPolicy`` (scripted.py) is the offline
deterministic baseline and ``RandomPolicy`` (random_policy.py) the floor and fuzzer;
gamers.py holds the policies that try to win without working (lorem, gamer, template,
parrot, copy), the judge's sparring partners.
Build one by name with ``policy_by_name("scripted", seed=0)`` or from a typed config
(``TypeAdapter(PolicyConfig).validate_python({"type": "random", "seed": 3})``).
"""

from synthcomp.policies.base import (
    POLICY_NAMES, ModelPolicyConfig, Policy, PolicyConfig, RandomPolicyConfig, ScriptedPolicyConfig, policy_by_name,
    policy_config,
)
from synthcomp.policies.gamers import CopyPolicy, GamerPolicy, LoremPolicy, ParrotPolicy, TemplatePolicy
from synthcomp.policies.random_policy import RandomPolicy
from synthcomp.policies.scripted import ScriptedPolicy

__all__ = [
    "POLICY_NAMES", "CopyPolicy", "GamerPolicy", "LoremPolicy", "ModelPolicyConfig", "ParrotPolicy", "Policy",
    "PolicyConfig", "RandomPolicy", "RandomPolicyConfig", "ScriptedPolicy", "ScriptedPolicyConfig", "TemplatePolicy",
    "policy_by_name", "policy_config",
]
