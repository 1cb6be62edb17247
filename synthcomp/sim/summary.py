"""The end-of-simulation summary table (paper Table 3's measures for one run)."""

from __future__ import annotations

from rich.table import Table

from synthcomp.models import FinishedSim

_LABELS = [
    ("days", "workdays"), ("turns", "turns"), ("planning_turns", "weekly-planning turns"),
    ("messages_sent", "messages sent"), ("messages_received", "messages received"),
    ("files_shared_to_user", "files shared by collaborators"), ("files_created", "files created"),
    ("files_revised", "files revised"), ("collaborators", "collaborators"), ("score", "score"),
    ("env_seconds", "seconds in the env"), ("policy_seconds", "seconds in the policy"),
]


def summary_table(summary: FinishedSim) -> Table:
    table = Table(title=f"simulation {summary.sim_id}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, label in _LABELS:
        value = getattr(summary, key)
        table.add_row(label, f"{value:.3f}" if isinstance(value, float) else str(value))
    usage = summary.usage
    if usage.get("requests") or usage.get("cached"):
        table.add_row("model requests (cached)", f"{usage['requests']} ({usage['cached']})")
        prompt = usage["input_tokens"] + usage.get("cache_write_tokens", 0) + usage.get("cache_read_tokens", 0)
        table.add_row("model tokens in / out", f"{prompt:,} / {usage['output_tokens']:,}")
        table.add_row("input read from the prompt cache", f"{usage.get('cache_read_share', 0.0):.1%}")
        table.add_row("model cost (USD)", f"{usage['usd']:.4f}")
    return table
