"""``synthcomp/Workday-v0``, kept for one release (deprecated; CHANGELOG.md).

v0 ended a day at ``end_day`` without setting either flag, so every consumer had to
notice the end of a day its own way. v1 reports it as ``truncated``; this wrapper gives
v0's users the old flags until they move (``gymnasium.make`` warns that v1 exists).
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym

from synthcomp.env.workday import WorkdayEnv


class EndDayUnflagged(gym.Wrapper[str, str, str, str]):
    """v0's flags: an accepted ``end_day`` before the month's end sets neither."""

    def step(self, action: str | dict[str, Any]) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        if info["tool"] == "end_day" and not info["tool_error"]:
            truncated = False
        return observation, reward, terminated, truncated, info


def workday_v0(**kwargs: Any) -> gym.Env[str, str]:
    return EndDayUnflagged(WorkdayEnv(**kwargs))
