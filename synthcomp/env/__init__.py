"""The Gymnasium env: ``gymnasium.make("synthcomp/Workday-v1", computer=<dir>, sandbox="docker")``.

Importing this package (``import synthcomp`` does) registers the env ids without
importing Gymnasium: at once when Gymnasium is already loaded, else the moment it is
imported (``after_import``). The entry points are strings, so the env's own modules
load only when an env is made, and a command that makes none never loads Gymnasium.
"""

from synthcomp.env.after_import import after_import

ENV_ID = "synthcomp/Workday-v1"
LEGACY_ENV_ID = "synthcomp/Workday-v0"
"""Deprecated (one release): an accepted ``end_day`` sets no flag (``synthcomp.env.legacy``)."""


def register_envs() -> None:
    """Put both ids in Gymnasium's registry (idempotent); imports Gymnasium."""
    from gymnasium.envs.registration import register, registry

    # Observations, rewards and the tree are deterministic for a seed and actions, but
    # info["duration_ms"] is wall time, so the spec cannot promise equal infos.
    if ENV_ID not in registry:
        register(id=ENV_ID, entry_point="synthcomp.env.workday:WorkdayEnv", nondeterministic=True)
    if LEGACY_ENV_ID not in registry:
        register(id=LEGACY_ENV_ID, entry_point="synthcomp.env.legacy:workday_v0", nondeterministic=True)


after_import("gymnasium", register_envs)
