"""The Gymnasium env: ``gymnasium.make("synthcomp/Workday-v1", computer=<dir>, sandbox="docker")``."""

from gymnasium.envs.registration import register, registry

ENV_ID = "synthcomp/Workday-v1"
LEGACY_ENV_ID = "synthcomp/Workday-v0"
"""Deprecated (one release): an accepted ``end_day`` sets no flag (``synthcomp.env.legacy``)."""

# Observations, rewards and the tree are deterministic for a seed and actions, but
# info["duration_ms"] is wall time, so the spec cannot promise equal infos.
if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="synthcomp.env.workday:WorkdayEnv", nondeterministic=True)
if LEGACY_ENV_ID not in registry:
    register(id=LEGACY_ENV_ID, entry_point="synthcomp.env.legacy:workday_v0", nondeterministic=True)
