"""The Gymnasium env: ``gymnasium.make("synthcomp/Workday-v0", computer=<dir>, sandbox="docker")``."""

from gymnasium.envs.registration import register, registry

ENV_ID = "synthcomp/Workday-v0"

if ENV_ID not in registry:
    # Observations, rewards and the tree are deterministic for a seed and actions, but
    # info["duration_ms"] is wall time, so the spec cannot promise equal infos.
    register(id=ENV_ID, entry_point="synthcomp.env.workday:WorkdayEnv", nondeterministic=True)
