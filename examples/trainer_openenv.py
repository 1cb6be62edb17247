"""A trainer's loop over remote synthetic computers: N sessions stepped at once through
openenv-core's own client, rewards collected per workday.

Start a server first (it holds the sandboxes; the trainer holds only policies)::

    synthcomp create --n 4 --seed 7 --out ws
    synthcomp serve ws --sandbox docker --max-sessions 8        # loopback: no token needed
    python examples/trainer_openenv.py --url http://127.0.0.1:8765 --sessions 4 --days 3

Each session is one computer in its own sandbox; a workday is one episode (``done``
after ``end_day`` or the step budget), and a month's rewards sum to its final score.
The policy runs here, beside the learner: the scripted worker by default, random tool
calls with ``--policy random``; swap in your own (``act(observation, info) -> action``).
Behind a token (``synthcomp serve --token``), pass ``--token``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from openenv.core import GenericEnvClient
from websockets.asyncio.client import connect

from synthcomp.policies.base import policy_config


class TokenEnvClient(GenericEnvClient):
    """openenv-core's generic client, sending ``Authorization: Bearer <token>``."""

    def __init__(self, base_url: str, token: str | None, **kwargs: Any):
        super().__init__(base_url, **kwargs)
        self.token = token

    async def connect(self) -> TokenEnvClient:
        if self._ws is None:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
            self._ws = await connect(self._ws_url, open_timeout=self._connect_timeout,
                                     max_size=self._max_message_size, additional_headers=headers)
        return self


async def play(url: str, token: str | None, computer: str, policy_name: str, seed: int, days: int) -> list[float]:
    """One session's month of ``days`` workdays; the reward of each day."""
    policy = policy_config(policy_name, seed).build()
    rewards: list[float] = []
    async with TokenEnvClient(f"{url}/openenv", token, message_timeout_s=600) as env:
        result = await env.reset(computer_id=computer, seed=seed, days=days)
        for _ in range(days):
            policy.reset()
            day_reward = 0.0
            while True:
                observation = result.observation
                result = await env.step(policy.act(observation["text"], observation["info"]))
                day_reward += result.reward or 0.0
                if result.done:
                    break
            rewards.append(day_reward)
            if len(rewards) < days:
                result = await env.reset()  # the next morning of the same month
    return rewards


async def train(args: argparse.Namespace) -> None:
    import httpx2

    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    computers = httpx2.get(f"{args.url}/computers", headers=headers).raise_for_status().json()["computers"]
    started = time.perf_counter()
    months = await asyncio.gather(*(
        play(args.url, args.token, computers[i % len(computers)], args.policy, i, args.days)
        for i in range(args.sessions)))
    seconds = time.perf_counter() - started
    for i, rewards in enumerate(months):
        print(f"session {i} on {computers[i % len(computers)]}: day rewards {[round(r, 3) for r in rewards]}, "
              f"month {sum(rewards):.3f}")
    totals = [sum(r) for r in months]
    print(f"{args.sessions} sessions x {args.days} days in {seconds:.1f} s; mean month reward "
          f"{statistics.fmean(totals):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--token", default=None)
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--policy", default="scripted", choices=["scripted", "random"])
    asyncio.run(train(parser.parse_args()))


if __name__ == "__main__":
    main()
