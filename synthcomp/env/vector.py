"""Batched rollouts: one ``WorkdayEnv`` per computer in a Gymnasium vector env.

``gymnasium.make_vec`` gives every copy the same kwargs, so it cannot give each copy its
own computer and run directory; ``make_vector_env`` builds the ``AsyncVectorEnv`` (or
``SyncVectorEnv``) itself. What a user sees (gymnasium 1.x):

- Observations are a tuple of N strings: ``batch_space`` turns a ``Text`` space into a
  ``Tuple`` of N copies. Actions are any sequence of N JSON tool calls (strings).
- ``shared_memory=False``: gymnasium can put ``Text`` in shared memory, but only as indexes
  into the space's charset, and a briefing's newlines are not in ``AnyText``'s charset.
- The env owns the end of a day: an accepted ``end_day`` (or a spent step budget) returns
  ``truncated``, the month's last day ``terminated``, so the vector env's autoreset moves
  a computer to its next workday with no wrapper.
- Autoreset is ``NEXT_STEP``: after a step with ``terminated[i] or truncated[i]``, the next
  ``step`` resets computer i instead of stepping it; its action is ignored, its
  observation is the next day's briefing, its reward 0 and its info the reset info
  (``objectives``, ``collaborators``).
- Do not call ``envs.reset()`` between a done step and that autoreset step when
  ``asynchronous=True``: gymnasium 1.4's async worker clears its pending autoreset on
  reset only when shared memory is on, so the following step would be dropped and the
  computer re-briefed again.
- ``AsyncVectorEnv`` builds the first computer's env once in this process to read its
  spaces (it starts no sandbox), then builds each env again in its worker.
- ``infos["data"][i]`` is computer i's ``info["data"]`` whole (a dict): gymnasium would
  split it key by key into arrays (and fail on a dict beside a None), so these vector envs
  batch it as one object per computer.

Usage (a scripted policy per computer, one JSON string per action)::

    import json
    from pathlib import Path

    import numpy as np
    from synthcomp.env.vector import make_vector_env
    from synthcomp.policies import policy_by_name

    envs = make_vector_env(["ws/computers/<shard>/<id1>", "ws/computers/<shard>/<id2>"],
                           sandbox="local", days=20, run_root=Path("runs/batch-0"))
    policies = [policy_by_name("scripted", seed=i) for i in range(envs.num_envs)]

    def info_of(infos: dict, i: int) -> dict:   # computer i's info from the batched dict
        return {k: v[i] for k, v in infos.items() if not k.startswith("_") and infos[f"_{k}"][i]}

    obs, infos = envs.reset(seed=0)             # N morning briefings (seeds 0..N-1)
    for p in policies:
        p.reset()
    done = np.zeros(envs.num_envs, dtype=bool)
    for _ in range(1000):
        actions = ["" if done[i] else json.dumps(p.act(obs[i], info_of(infos, i)))  # "" is ignored
                   for i, p in enumerate(policies)]
        obs, rewards, terminated, truncated, infos = envs.step(actions)
        for i in np.flatnonzero(done):          # reset by this step: obs[i] is a briefing
            policies[i].reset()
        done = terminated | truncated           # truncated: a workday ended (bootstrap from it)
    envs.close()                                 # stops every sandbox
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv, VectorEnv

from synthcomp.computer.show import load_computer
from synthcomp.env import ENV_ID
from synthcomp.errors import InputError


class _WholeData:
    """Batches ``info["data"]`` as one object per computer (see the module docstring)."""

    num_envs: int

    def _add_info(self, vector_infos: dict[str, Any], env_info: dict[str, Any], env_num: int) -> dict[str, Any]:
        if "data" not in env_info:
            return super()._add_info(vector_infos, env_info, env_num)  # type: ignore[misc]
        rest = {k: v for k, v in env_info.items() if k != "data"}
        vector_infos = super()._add_info(vector_infos, rest, env_num)  # type: ignore[misc]
        data = vector_infos.get("data")
        if not isinstance(data, np.ndarray):
            data = np.full(self.num_envs, None, dtype=object)
        mask = vector_infos.get("_data", np.zeros(self.num_envs, dtype=np.bool_))
        data[env_num], mask[env_num] = env_info["data"], True
        vector_infos["data"], vector_infos["_data"] = data, mask
        return vector_infos


class _SyncVectorEnv(_WholeData, SyncVectorEnv):
    pass


class _AsyncVectorEnv(_WholeData, AsyncVectorEnv):
    pass


def _make_env(computer: Path, run_dir: Path | None, kwargs: dict[str, Any]) -> gym.Env[str, str]:
    """One computer's env (module-level so that ``AsyncVectorEnv`` can pickle it)."""
    return gym.make(ENV_ID, computer=computer, run_dir=run_dir, **kwargs)


def make_vector_env(
    computers: list[str | Path],
    *,
    sandbox: str | dict[str, Any] = "local",
    days: int = 20,
    step_budget: int = 150,
    run_root: Path | None = None,
    asynchronous: bool = True,
    **env_kwargs: Any,
) -> VectorEnv:
    """A vector env with one ``WorkdayEnv`` per computer (see the module docstring).

    Args:
        computers: computer directories (``WS/computers/<shard>/<id>``); env i drives computer i.
        sandbox, days, step_budget: as for ``WorkdayEnv``, the same for every computer.
        run_root: each env writes to ``run_root/<index>-<computer id>``; default: each
            computer's ``WorkdayEnv`` default (``WS/sims/env-<id>``).
        asynchronous: one worker process per computer (``AsyncVectorEnv``), or all in this
            process, one after another (``SyncVectorEnv``).
        env_kwargs: any other ``WorkdayEnv`` argument, the same for every computer.

    Raises:
        InputError: no computers, a directory that is not a computer, ``computer`` or
            ``run_dir`` in ``env_kwargs``, or a computer listed twice without ``run_root``
            (both copies would write the same trajectories).
    """
    if not computers:
        raise InputError("make_vector_env needs at least one computer directory (got an empty list)")
    clashing = sorted({"computer", "run_dir"} & set(env_kwargs))
    if clashing:
        raise InputError(f"make_vector_env sets {' and '.join(clashing)} per computer: list the computers "
                         "and pass run_root for their run directories")
    ids = [load_computer(Path(c)).id for c in computers]
    if run_root is None and len(set(ids)) < len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise InputError(f"computer(s) {', '.join(twice)} listed twice: pass run_root so each copy has its own run_dir")
    kwargs = {"sandbox": sandbox, "days": days, "step_budget": step_budget, **env_kwargs}
    env_fns = [
        partial(_make_env, Path(c), None if run_root is None else Path(run_root) / f"{index}-{cid}", kwargs)
        for index, (c, cid) in enumerate(zip(computers, ids))
    ]
    if asynchronous:
        return _AsyncVectorEnv(env_fns, shared_memory=False)
    return _SyncVectorEnv(env_fns)
