"""The ``synthcomp`` command line.

Every command validates its input first and reports a bad one as a single
``error: ...`` line with exit code 2, before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from synthcomp.errors import InputError, RenderError, SynthcompError
from synthcomp.workspace import workspace_of

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    help="Synthetic computers at scale: create persona-driven office computers, sandbox them, simulate work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
image_app = typer.Typer(help="The offline-built computer image.", no_args_is_help=True)
app.add_typer(image_app, name="image")
render_service_app = typer.Typer(help="The per-user render service: one warm LibreOffice shared by render, "
                                      "judge and report, started on demand, stopped when idle.",
                                 no_args_is_help=True)
app.add_typer(render_service_app, name="render-service")


@app.callback()
def _verbosity(verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                           help="Log what happens at the boundaries: -v sandboxes, retries and "
                                                "recovered faults; -vv everything.")) -> None:
    """Quiet by default: warnings only (Python's last-resort handler)."""
    if verbose:
        import logging

        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("synthcomp").setLevel(logging.INFO if verbose == 1 else logging.DEBUG)


@cache
def _console(stderr: bool = False) -> Console:
    """The rich console, made on first use. Importing rich costs ~30 ms of start-up, which
    the commands that print plain lines (``render``, ``render-service``, every ``error:``)
    do not pay: they print with ``typer.echo``."""
    from rich.console import Console

    return Console(stderr=stderr)


BRAIN_HELP = "procedural (offline), claude (ANTHROPIC_API_KEY) or openai (an OpenAI-compatible server)."
BASE_URL_HELP = "Model backends: a proxy, gateway or local server."
MODEL_CONFIG_HELP = "Model backends: a TOML file of models per role, base URL, budget (flags win)."
BUDGET_HELP = "Model backends: stop cleanly once this many USD are spent."
FLEET_BUDGET_HELP = BUDGET_HELP + " Per simulation; re-run to resume the ones it stopped."
EXECUTOR_HELP = "local (a process pool) or ray (ray.init() here, or --ray-address for a cluster)."
RAY_ADDRESS_HELP = "A Ray cluster to run on (e.g. ray://head:10001 or auto)."
ATTEMPTS_HELP = "Tries per task; a failed task is retried on a fresh sandbox, then reported."
SKILL_HELP = ("A SKILL.md or skill directory the policy loads, or a skills directory (its index picks the "
              "computer's skill); repeatable.")
SANDBOX_CONFIG_HELP = "A TOML file of the sandbox's limits (memory_mb, disk_mb, pids, cpus, ...; see docs/DESIGN.md)."
COMPUTERS_HELP = "all, train or held-out: a side of WS/split.json (made on first use, see `synthcomp split`)."
SERVICE_HELP = ("Render through the per-user render service (a LibreOffice kept warm between commands; "
                "default, unless SYNTHCOMP_RENDER_SERVICE=0) or in this process.")
DRY_RUN_HELP = "Print the model cost estimate, per role, and exit: no model is called, nothing is written."


def _fail(message: str, code: int = 2) -> NoReturn:
    """One ``error:`` line and the exit code: 2 for bad input, 1 for tasks that failed after
    retries, 3 for a run a model budget stopped (re-running resumes it)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


@app.command()
def create(
    out: Path = typer.Option(..., "--out", help="Workspace; computers land in OUT/computers/<shard>/<id>/."),
    n: int = typer.Option(1, "--n", help="How many computers to create."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same computers, byte for byte."),
    os_name: str = typer.Option("mixed", "--os", help="windows, macos or mixed (alternating)."),
    personas: Path | None = typer.Option(None, "--personas", help='JSONL, one {"persona": "..."} per line.'),
    workers: int = typer.Option(1, "--workers", "--concurrency", help="Computers created at once."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    ray_address: str | None = typer.Option(None, "--ray-address", help=RAY_ADDRESS_HELP),
    attempts: int = typer.Option(3, "--attempts", help=ATTEMPTS_HELP),
    brain: str = typer.Option("procedural", "--brain", help=BRAIN_HELP),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_config: Path | None = typer.Option(None, "--model-config", help=MODEL_CONFIG_HELP),
    model_creation: str | None = typer.Option(None, "--model-creation", help="The creation model."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", help=BUDGET_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Create N synthetic computers: persona -> profile -> policy -> plan -> files.

    Re-running skips computers that exist; each one gets a line in OUT/manifest.jsonl."""
    from synthcomp.brains.model.client import Usage
    from synthcomp.fleet.batch import CreateRequest, create_computers
    from synthcomp.fleet.costs import create_estimate
    from synthcomp.pool.executor import make_executor
    from synthcomp.pool.manifest import FleetError

    usage = Usage()
    try:
        request = CreateRequest.from_cli(out=out, n=n, seed=seed, os_name=os_name, personas=personas, workers=workers,
                                         brain=_brain(brain, base_url, model_config, {"creation": model_creation},
                                                      budget_usd, out / ".claude-cache", dry_run))
        if _estimated(create_estimate(request), dry_run):
            return
        fleet = make_executor(executor, workers, attempts=attempts, ray_address=ray_address)
        created = create_computers(request, console=_console(), usage=usage,
                                   executor=None if executor == "local" and workers == 1 else fleet)
    except FleetError as exc:  # the computers that could be made are kept; re-running retries the rest
        _fail(str(exc), code=1)
    except SynthcompError as exc:  # bad input, or a model backend's failure (BrainError, BudgetExceeded)
        _fail(str(exc))
    _console().print(f"created {len(created)} computer(s) in {out / 'computers'}")
    _print_usage(usage)


def _brain(name: str, base_url: str | None, model_config: Path | None, models: dict[str, str | None],
           budget_usd: float | None, cache: Path, dry_run: bool = False):
    """The ``--brain`` (or a model policy's) config, its key read here (a dry run, which
    calls no model, needs none); raises InputError."""
    from synthcomp.brains.model.settings import brain_config

    return brain_config(name, settings_file=model_config, base_url=base_url, models=models,
                        budget_usd=budget_usd, cache_dir=cache, key_required=not dry_run)


def _settings(*, policy: str, sandbox: str, sandbox_config: Path | None, brain: str, days: int, seed: int,
              steps: int, skills: list[Path], base_url: str | None, model_config: Path | None,
              models: dict[str, str | None], budget_usd: float | None, cache: Path, dry_run: bool = False):
    """The one ``SimSettings`` a simulating command builds from its flags; raises InputError
    (or ValidationError for a rejected option). A model policy is named after its provider."""
    from synthcomp.brains.model.config import PROVIDERS
    from synthcomp.policies.base import policy_config
    from synthcomp.sandbox.config import sandbox_config as sandbox_from
    from synthcomp.sim.config import SimSettings

    work = {"brain": _brain(policy, base_url, model_config, models, budget_usd, cache, dry_run)} \
        if policy in PROVIDERS else {}
    return SimSettings(policy=policy_config(policy, seed, **work), sandbox=sandbox_from(sandbox, sandbox_config),
                       brain=_brain(brain, base_url, model_config, models, budget_usd, cache, dry_run),
                       days=days, seed=seed, step_budget=steps, skills=skills)


@contextmanager
def _exit_on_errors() -> Iterator[None]:
    """The errors a command expects, each as one ``error:`` line and its exit code (see
    :func:`_fail`): a rejected option, tasks failed after retries, a budget stop, bad input."""
    from pydantic import ValidationError

    from synthcomp.pool.manifest import BudgetStopped, FleetError

    try:
        yield
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"]:  # a rule across options
            _fail(first["msg"].removeprefix("Value error, "))
        _fail(f"--{first['loc'][0]}: {first['msg']}, got {first.get('input')!r}")
    except FleetError as exc:
        _fail(str(exc), code=1)
    except BudgetStopped as exc:
        _fail(str(exc), code=3)
    except InputError as exc:
        _fail(str(exc))


def _estimated(estimate, dry_run: bool) -> bool:
    """Print the run's model cost estimate (per role too on a dry run); True: a dry run, stop."""
    if estimate is not None:
        _console().print(estimate.line(), markup=False, highlight=False, soft_wrap=True)
    if dry_run:
        for line in estimate.breakdown() if estimate is not None else ["estimate: no model is called, $0"]:
            _console().print(line, markup=False, highlight=False, soft_wrap=True)
    return dry_run


def _print_usage(usage) -> None:
    """One line of model cost, when any model was called."""
    if usage.requests or usage.cached:
        _console().print(f"model usage: {usage.requests} request(s), {usage.cached} cached, "
                         f"{usage.prompt_tokens:,} tokens in ({usage.cache_read_share:.0%} read from the prompt cache) / "
                         f"{usage.output_tokens:,} out, ${usage.usd:.4f}")
    _print_warnings(usage.warnings)


WARNINGS_SHOWN = 10
"""Degradation warnings printed after a run; all of them are in its summary or manifest."""


def _print_warnings(warnings: list[str]) -> None:
    """How many model answers were degraded, and the first few of what was done: the run
    went on, but its output is not all the model's."""
    if not warnings:
        return
    _console(stderr=True).print(f"{len(warnings)} warning(s): model answers that stayed invalid were degraded "
                                "(all are in the summary / manifest):", markup=False, highlight=False)
    for line in warnings[:WARNINGS_SHOWN]:
        _console(stderr=True).print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    if len(warnings) > WARNINGS_SHOWN:
        _console(stderr=True).print(f"  ... and {len(warnings) - WARNINGS_SHOWN} more", markup=False, highlight=False)


@app.command()
def stats(
    workspace: Path = typer.Argument(..., help="A workspace made by `synthcomp create`."),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
    post: bool = typer.Option(False, "--post", help="The computers as simulations left them (WS/sims/*/computer)."),
) -> None:
    """Table-1-style summary: files, directories, depth, extension shares, sizes."""
    from synthcomp.computer.stats import print_simulations, print_stats, simulation_totals, workspace_stats

    try:
        summary = workspace_stats(workspace, post=post)
    except InputError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(summary.model_dump(), sort_keys=True))
        return
    print_stats(summary, _console(), title="computer(s) after simulation" if post else "synthetic computer(s)")
    sims = simulation_totals(workspace)
    if post and sims:
        print_simulations(sims, _console())


@app.command()
def consistency(
    workspace: Path = typer.Argument(..., help="A workspace made by `synthcomp create`."),
    seed: int = typer.Option(0, "--seed", help="The setup seed, as a simulation would use it."),
    days: int = typer.Option(20, "--days", help="Workdays in the month the setup plans for."),
) -> None:
    """Check that files, collaborators and each project's truth agree; exit 1 on any contradiction."""
    from synthcomp.agents.consistency import check_computer
    from synthcomp.workspace import computer_dirs

    computers = list(computer_dirs(workspace))
    if not computers:
        _fail(f"{workspace} holds no computers; run `synthcomp create` first")
    total = 0
    for computer in computers:
        found = check_computer(computer, seed=seed, days=days)
        total += len(found)
        for contradiction in found:
            _console().print(f"[red]{computer.name}[/red] {contradiction}", markup=True, highlight=False)
    _console().print(f"{len(computers)} computer(s) checked: {total} contradiction(s)")
    if total:
        raise typer.Exit(1)


@app.command()
def show(
    computer: Path = typer.Argument(..., help="A computer directory (WS/computers/<shard>/<id>)."),
    depth: int = typer.Option(99, "--depth", help="How deep to print the tree."),
) -> None:
    """Print the profile and the file tree as the user sees it (Windows or macOS paths)."""
    from synthcomp.computer.show import show_computer

    try:
        show_computer(computer, _console(), depth=depth)
    except InputError as exc:
        _fail(str(exc))


@app.command()
def simulate(
    computer: Path = typer.Argument(..., help="A computer directory (WS/computers/<shard>/<id>)."),
    policy: str = typer.Option("scripted", "--policy", help="scripted, random, claude or openai (a model's work agent)."),
    days: int = typer.Option(20, "--days", help="Workdays in the simulated month."),
    sandbox: str = typer.Option("docker", "--sandbox", help="docker or local (bubblewrap)."),
    sandbox_config: Path | None = typer.Option(None, "--sandbox-config", help=SANDBOX_CONFIG_HELP),
    seed: int = typer.Option(0, "--seed"),
    steps: int = typer.Option(150, "--steps", help="Step budget per workday."),
    restart_from_day: int | None = typer.Option(None, "--restart-from-day", help="Replay from the checkpoint before day K."),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_config: Path | None = typer.Option(None, "--model-config", help=MODEL_CONFIG_HELP),
    model_work: str | None = typer.Option(None, "--model-work", help="The work agent's model."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", help=BUDGET_HELP + " Re-run to resume."),
    skill: list[Path] = typer.Option([], "--skill", help=SKILL_HELP),
    brain: str = typer.Option("procedural", "--brain", help="Setup agent and collaborators: " + BRAIN_HELP),
    model_setup: str | None = typer.Option(None, "--model-setup", help="The setup agent's model."),
    model_collaborator: str | None = typer.Option(None, "--model-collaborator", help="The collaborators' model."),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Run (or resume) a month-long simulation: setup, weekly plans, daily episodes, judgement.

    Exits 3 when the model budget stops the run; re-running resumes from the last finished day."""
    from synthcomp.fleet.costs import simulation_estimate
    from synthcomp.models import StoppedSim
    from synthcomp.sim.runner import run_simulation
    from synthcomp.sim.summary import summary_table

    with _exit_on_errors():
        settings = _settings(policy=policy, sandbox=sandbox, sandbox_config=sandbox_config, brain=brain, days=days,
                             seed=seed, steps=steps, skills=skill, base_url=base_url, model_config=model_config,
                             models={"work": model_work, "setup": model_setup, "collaborator": model_collaborator},
                             budget_usd=budget_usd, cache=workspace_of(computer) / ".claude-cache", dry_run=dry_run)
        if _estimated(simulation_estimate(settings, [computer]), dry_run):
            return
    try:
        summary = run_simulation(settings.on(computer), restart_from_day=restart_from_day, console=_console())
    except SynthcompError as exc:  # bad input, or a model backend that kept failing (resumable)
        _fail(str(exc))
    if isinstance(summary, StoppedSim):
        done = summary.last_finished_day
        typer.echo(f"stopped: {summary.reason}; days finished: {0 if done is None else done + 1} of "
                   f"{summary.days}. Re-run the same command (with a larger --budget-usd) to resume.", err=True)
        raise typer.Exit(code=3)
    _console().print(summary_table(summary))
    _print_warnings(summary.usage.get("warnings", []))


@app.command("simulate-many")
def simulate_many_command(
    workspace: Path = typer.Argument(..., help="A workspace (holds computers/)."),
    policy: str = typer.Option("scripted", "--policy", help="scripted, random, claude or openai (a model's work agent)."),
    days: int = typer.Option(20, "--days", help="Workdays in each simulated month."),
    sandbox: str = typer.Option("docker", "--sandbox", help="docker or local (bubblewrap)."),
    sandbox_config: Path | None = typer.Option(None, "--sandbox-config", help=SANDBOX_CONFIG_HELP),
    seed: int = typer.Option(0, "--seed"),
    steps: int = typer.Option(150, "--steps", help="Step budget per workday."),
    limit: int | None = typer.Option(None, "--n", help="Only the first N computers (by id)."),
    computers: str = typer.Option("all", "--computers", help=COMPUTERS_HELP),
    concurrency: int = typer.Option(2, "--concurrency", help="Simulations (live sandboxes) at once."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    ray_address: str | None = typer.Option(None, "--ray-address", help=RAY_ADDRESS_HELP),
    attempts: int = typer.Option(3, "--attempts", help=ATTEMPTS_HELP),
    brain: str = typer.Option("procedural", "--brain", help="Setup agent and collaborators: " + BRAIN_HELP),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_config: Path | None = typer.Option(None, "--model-config", help=MODEL_CONFIG_HELP),
    model_work: str | None = typer.Option(None, "--model-work", help="The work agent's model."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", help=FLEET_BUDGET_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Simulate every computer of a workspace (or one side of its split); re-running skips
    finished simulations and resumes unfinished ones. Each gets a line in WS/manifest.jsonl.
    Exits 1 if any failed, 3 if a model budget stopped any (and none failed): re-run to resume."""
    from synthcomp.pool.executor import make_executor
    from synthcomp.fleet.costs import simulation_estimate
    from synthcomp.fleet.simulations import simulate_many
    from synthcomp.fleet.split import select_computers

    with _exit_on_errors():
        settings = _settings(policy=policy, sandbox=sandbox, sandbox_config=sandbox_config, brain=brain, days=days,
                             seed=seed, steps=steps, skills=[], base_url=base_url, model_config=model_config,
                             models={"work": model_work}, budget_usd=budget_usd, cache=workspace / ".claude-cache",
                             dry_run=dry_run)
        if _estimated(simulation_estimate(settings, select_computers(workspace, computers)[:limit]), dry_run):
            return
        fleet = make_executor(executor, concurrency, attempts=attempts, ray_address=ray_address)
        report = simulate_many(workspace, fleet, settings, limit=limit, computers=computers, console=_console())
    _console().print(f"simulated {len(report.done)} ({report.retried} after a retry), skipped {len(report.skipped)} "
                     f"finished; manifest: {workspace / 'manifest.jsonl'}")


@app.command()
def split(
    workspace: Path = typer.Argument(..., help="A workspace (holds computers/)."),
    held_out: float = typer.Option(0.2, "--held-out", help="The fraction of computers held out of skill mining."),
) -> None:
    """(Re)make WS/split.json: a stable train / held-out split of the computers, by the hash of their ids."""
    from synthcomp.fleet.split import make_split

    try:
        made = make_split(workspace, held_out)
    except InputError as exc:
        _fail(str(exc))
    _console().print(f"{len(made.train)} train, {len(made.held_out)} held-out computers "
                     f"(held-out fraction {made.held_out_fraction}); wrote {workspace / 'split.json'}")


@app.command()
def evaluate(
    workspace: Path = typer.Argument(..., help="A workspace (holds computers/)."),
    policy: str = typer.Option("scripted", "--policy", help="scripted, claude or openai (random takes no skills)."),
    skills: Path | None = typer.Option(None, "--skills", help="A skills directory (index.json + <name>/SKILL.md)."),
    computers: str = typer.Option("held-out", "--computers", help=COMPUTERS_HELP),
    days: int = typer.Option(20, "--days", help="Workdays in each simulated month."),
    sandbox: str = typer.Option("docker", "--sandbox", help="docker or local (bubblewrap)."),
    sandbox_config: Path | None = typer.Option(None, "--sandbox-config", help=SANDBOX_CONFIG_HELP),
    seed: int = typer.Option(0, "--seed"),
    steps: int = typer.Option(150, "--steps", help="Step budget per workday."),
    concurrency: int = typer.Option(2, "--concurrency", help="Simulations (live sandboxes) at once."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    ray_address: str | None = typer.Option(None, "--ray-address", help=RAY_ADDRESS_HELP),
    attempts: int = typer.Option(3, "--attempts", help=ATTEMPTS_HELP),
    brain: str = typer.Option("procedural", "--brain", help="Setup agent and collaborators: " + BRAIN_HELP),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_config: Path | None = typer.Option(None, "--model-config", help=MODEL_CONFIG_HELP),
    model_work: str | None = typer.Option(None, "--model-work", help="The work agent's model."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", help=FLEET_BUDGET_HELP),
) -> None:
    """Score a policy on computers without and with skills: per-computer scores, the win
    rate and a paired sign test; writes WS/evaluations/<policy>-<skills>-s<seed>.json."""
    from synthcomp.fleet.evaluation import evaluate as run_evaluation, evaluation_path
    from synthcomp.pool.executor import make_executor
    from synthcomp.fleet.split import select_computers

    with _exit_on_errors():
        settings = _settings(policy=policy, sandbox=sandbox, sandbox_config=sandbox_config, brain=brain, days=days,
                             seed=seed, steps=steps, skills=[], base_url=base_url, model_config=model_config,
                             models={"work": model_work}, budget_usd=budget_usd, cache=workspace / ".claude-cache")
        fleet = make_executor(executor, concurrency, attempts=attempts, ray_address=ray_address)
        result = run_evaluation(workspace, fleet, settings, skills_dir=skills,
                                computers=select_computers(workspace, computers), console=_console())
    _console().print(result.table())
    _console().print(result.summary.describe(), markup=False, highlight=False, soft_wrap=True)
    _console().print(f"wrote {evaluation_path(workspace, policy, skills, seed)}", markup=False, highlight=False,
                     soft_wrap=True)


@app.command()
def dataset(
    workspace: Path = typer.Argument(..., help="A workspace (computers/ and sims/)."),
    out: Path = typer.Option(..., "--out", help="A new (or empty) directory for the dataset."),
) -> None:
    """Export computers, trajectories (chat JSONL) and judgements, loadable with `datasets`."""
    from synthcomp.fleet.dataset import export_dataset

    try:
        counts = export_dataset(workspace, out)
    except InputError as exc:
        _fail(str(exc))
    _console().print(counts.describe())


@app.command()
def retrospect(
    sim: Path = typer.Argument(..., help="A judged simulation (WS/sims/<shard>/<sim-id>)."),
    brain: str = typer.Option("procedural", "--brain", help="Who analyses: " + BRAIN_HELP),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_config: Path | None = typer.Option(None, "--model-config", help=MODEL_CONFIG_HELP),
    model_retrospect: str | None = typer.Option(None, "--model-retrospect", help="The analyst's model."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", help=BUDGET_HELP),
) -> None:
    """Write the simulation's retrospective: what worked, what failed, experience items with evidence."""
    from synthcomp.agents.roles import Roles
    from synthcomp.brains.model.client import Usage
    from synthcomp.sim.retrospect import REPORT_MD, retrospect as analyse_simulation

    usage = Usage()
    try:
        config = _brain(brain, base_url, model_config, {"retrospect": model_retrospect}, budget_usd,
                        workspace_of(sim) / ".claude-cache")
        report = analyse_simulation(sim, roles=Roles(config.client(usage=usage)))
    except SynthcompError as exc:
        _fail(str(exc))
    failures = sum(i.kind == "failure" for i in report.items)
    _console().print(f"{report.sim_id}: score {report.score:.1%}, {len(report.worked)} criteria met, "
                     f"{len(report.failed)} problems, {len(report.items)} experience items ({failures} lessons from "
                     f"failures); wrote {sim / REPORT_MD}")
    _print_usage(usage)


@app.command()
def skills(
    workspace: Path = typer.Argument(..., help="A workspace with judged simulations."),
    out: Path = typer.Option(..., "--out", help="Where the skills go (one <name>/SKILL.md each, and index.json)."),
) -> None:
    """Mine experience from the training computers' simulations into one SKILL.md per
    occupation, per industry and a general one (held-out computers never teach)."""
    from synthcomp.agents.skills import build_skills
    from synthcomp.fleet.split import load_split
    from synthcomp.sim.retrospect import collect_retrospectives

    try:
        held_out = set(load_split(workspace).held_out)
        found = collect_retrospectives(workspace, exclude_computers=held_out)
        if not found:
            raise InputError(f"no judged simulations of training computers in {workspace}; run "
                             "`synthcomp simulate-many WS --computers train` first")
        index = build_skills(found, out)
    except InputError as exc:
        _fail(str(exc))
    _console().print(f"wrote {len(index.groups)} skill(s) from {len(found)} simulation(s) of "
                     f"{len(index.train_computers)} training computer(s) to {out}")


@app.command("run-day")
def run_day(
    computer: Path = typer.Argument(..., help="A computer directory (WS/computers/<shard>/<id>)."),
    policy: str = typer.Option("scripted", "--policy", help="scripted, random, claude or openai."),
    sandbox: str = typer.Option("docker", "--sandbox", help="docker or local (bubblewrap)."),
    sandbox_config: Path | None = typer.Option(None, "--sandbox-config", help=SANDBOX_CONFIG_HELP),
    seed: int = typer.Option(0, "--seed"),
    steps: int = typer.Option(150, "--steps", help="The day's step budget."),
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Where the trajectory goes (default WS/sims/env-<id>)."),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_config: Path | None = typer.Option(None, "--model-config", help=MODEL_CONFIG_HELP),
    model_work: str | None = typer.Option(None, "--model-work", help="The work agent's model."),
    skill: list[Path] = typer.Option([], "--skill", help=SKILL_HELP),
) -> None:
    """Run one workday of a policy on a computer and print a short summary."""
    from synthcomp.computer.show import load_computer
    from synthcomp.sim.rollout import run_one_day
    from synthcomp.sim.runner import skill_files

    try:
        with _exit_on_errors():
            settings = _settings(policy=policy, sandbox=sandbox, sandbox_config=sandbox_config, brain="procedural",
                                 days=1, seed=seed, steps=steps, skills=skill, base_url=base_url,
                                 model_config=model_config, models={"work": model_work}, budget_usd=None,
                                 cache=workspace_of(computer) / ".claude-cache")
        skills = {"skills": skill_files(skill, load_computer(computer))} if skill else {}
        summary = run_one_day(computer, policy=settings.policy.model_copy(update=skills), sandbox=settings.sandbox,
                              seed=seed, step_budget=steps, run_dir=run_dir, console=_console())
    except SynthcompError as exc:
        _fail(str(exc))
    _console().print(summary)


@app.command()
def export(
    run_dir: Path = typer.Argument(..., help="A run directory holding days/<n>/trajectory.jsonl."),
    out: Path = typer.Option(..., "--out", help="The chat-format JSONL to write."),
) -> None:
    """Turn trajectories into chat-format JSONL (messages + tools) for SFT."""
    from synthcomp.env.export import export_trajectories

    try:
        count = export_trajectories(run_dir, out)
    except InputError as exc:
        _fail(str(exc))
    _console().print(f"wrote {count} conversation(s) to {out}")


@app.command()
def rubric(
    computer: Path = typer.Argument(..., help="A computer directory (WS/computers/<shard>/<id>)."),
    runs: int = typer.Option(5, "--runs", help="Draft rubrics to merge."),
    seed: int = typer.Option(0, "--seed", help="The simulation seed whose objectives are judged."),
    days: int = typer.Option(20, "--days"),
    out: Path | None = typer.Option(None, "--out", help="Write here instead of printing."),
    brain: str = typer.Option("procedural", "--brain", help="Who drafts: " + BRAIN_HELP),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_config: Path | None = typer.Option(None, "--model-config", help=MODEL_CONFIG_HELP),
    model_rubric: str | None = typer.Option(None, "--model-rubric", help="The rubric drafter's model."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", help=BUDGET_HELP),
) -> None:
    """Draft N rubrics for a computer's objectives and merge them (dedupe, union, weight by frequency)."""
    from synthcomp.agents.roles import Roles
    from synthcomp.agents.setup import procedural_setup
    from synthcomp.brains.model.client import Usage
    from synthcomp.computer.show import load_computer
    from synthcomp.ospath import tree_reader

    if runs < 1:
        _fail(f"--runs must be at least 1, got {runs}")
    try:
        comp = load_computer(computer)
        config = _brain(brain, base_url, model_config, {"rubric": model_rubric}, budget_usd,
                        workspace_of(computer) / ".claude-cache")
        read = tree_reader(computer / "files", comp.policy.os)
        setup = procedural_setup(comp, read, seed, days=days)
        usage = Usage()
        merged = Roles(config.client(seed=seed, usage=usage)).rubric(setup, seed=seed, runs=runs)
        _print_usage(usage)
    except SynthcompError as exc:
        _fail(str(exc))
    text = merged.model_dump_json(indent=1)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n")
        _console().print(f"wrote a rubric of {len(merged.criteria)} criteria merged from {runs} drafts to {out}")


@app.command()
def judge(
    sim: Path = typer.Argument(..., help="A finished simulation (WS/sims/<shard>/<sim-id>)."),
    render: bool = typer.Option(True, "--render/--no-render", help="Render deliverables to PNG (LibreOffice)."),
    brain: str = typer.Option("procedural", "--brain", help=BRAIN_HELP),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_config: Path | None = typer.Option(None, "--model-config", help=MODEL_CONFIG_HELP),
    model_judge: str | None = typer.Option(None, "--model-judge", help="The judge's model."),
    model_rubric: str | None = typer.Option(None, "--model-rubric", help="The rubric drafter's model."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", help=BUDGET_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    service: bool | None = typer.Option(None, "--service/--no-service", help=SERVICE_HELP, show_default=False),
) -> None:
    """Judge a simulation's deliverables against its rubric; writes judgement.json (and renders/)."""
    from synthcomp.agents.roles import Roles
    from synthcomp.brains.model.client import Usage
    from synthcomp.fleet.costs import judge_estimate
    from synthcomp.sim.judging import judge_simulation
    from synthcomp.sim.rendering import page_renderer

    usage = Usage()
    try:
        seed = json.loads((sim / "sim.json").read_text())["seed"] if (sim / "sim.json").is_file() else 0
        config = _brain(brain, base_url, model_config, {"judge": model_judge, "rubric": model_rubric},
                        budget_usd, workspace_of(sim) / ".claude-cache", dry_run)
        if _estimated(judge_estimate(sim, config, seed, render), dry_run):
            return
        roles = Roles(config.client(seed=seed, usage=usage))
        if render:
            with page_renderer(sim / "renders", service=service) as render_pages:
                result = judge_simulation(sim, seed=seed, render_pages=render_pages, roles=roles)
        else:
            result = judge_simulation(sim, seed=seed, roles=roles)
    except SynthcompError as exc:  # bad input, or the Claude judge's own failure (BrainError)
        _fail(str(exc))
    _console().print(result.summary, markup=False)
    _console().print(f"wrote {sim / 'judgement.json'}")
    _print_usage(usage)


@app.command()
def report(sim: Path = typer.Argument(..., help="A judged simulation (WS/sims/<shard>/<sim-id>).")) -> None:
    """Write an HTML report: each criterion with its score, evidence and the deliverable's screenshots."""
    from synthcomp.sim.report import write_report

    try:
        path = write_report(sim)
    except InputError as exc:
        _fail(str(exc))
    _console().print(f"wrote {path}")


@app.command()
def render(
    files: list[Path] = typer.Argument(..., help="DOCX/XLSX/PPTX/PDF, CSV/MD/TXT or image files."),
    out: Path = typer.Option(..., "--out", help="Pages land in OUT/<file name>/page-NNN.png, with contact-sheet.png."),
    dpi: int = typer.Option(100, "--dpi", help="Resolution of the page PNGs (36-600)."),
    max_pages: int = typer.Option(20, "--max-pages", help="Pages rendered per document; the total is still reported."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds per file and step; a hung LibreOffice is restarted."),
    service: bool | None = typer.Option(None, "--service/--no-service", help=SERVICE_HELP, show_default=False),
) -> None:
    """Render documents to PNG pages (warm LibreOffice -> PDF -> pdftoppm) plus a contact sheet each.

    A file that cannot be rendered gets a `failed` line and the rest go on (exit code 1).
    OUT/render.json lists every result, with absolute paths.
    """
    # imports stay few and lazy: through the service, this command is mostly Python start-up
    from pydantic import ValidationError

    from synthcomp.render import RenderConfig, check_inputs
    from synthcomp.render.client import absolute, open_renderer

    options = {"dpi": "--dpi", "max_pages": "--max-pages", "timeout_s": "--timeout"}
    try:
        config = RenderConfig(dpi=dpi, max_pages=max_pages, timeout_s=timeout)
    except ValidationError as exc:
        first = exc.errors()[0]
        _fail(f"{options.get(str(first['loc'][0]), first['loc'][0])}: {first['msg']}, got {first.get('input')!r}")
    try:
        paths = [absolute(p) for p in check_inputs(files, out)]
    except InputError as exc:
        _fail(str(exc))
    out = absolute(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with open_renderer(config, service) as renderer:
            results = renderer.render_many(paths, out)
    except RenderError as exc:  # the render service could not be reached (a bad file is a result)
        _fail(str(exc), code=1)
    for r in results:
        if r.ok:
            shown = f", first {len(r.pages)} rendered" if r.truncated else ""
            typer.echo(f"ok      {r.source.name}: {r.page_count} page(s){shown} -> {r.out_dir} ({r.seconds:.2f} s)")
        else:
            typer.echo(f"failed  {r.source.name}: {r.error}")
    (out / "render.json").write_text(json.dumps([r.model_dump(mode="json") for r in results], indent=1) + "\n")
    failed = sum(not r.ok for r in results)
    typer.echo(f"rendered {len(results) - failed} of {len(results)} file(s) into {out}")
    if failed:
        raise typer.Exit(code=1)


@render_service_app.command("status")
def render_service_status() -> None:
    """Whether this user's render service runs, since when, and what it has served."""
    from synthcomp.render import client
    from synthcomp.render.rundir import run_dir

    try:
        run, found = run_dir(), client.status()
    except RenderError as exc:
        _fail(str(exc), code=1)
    if found is None:
        typer.echo(f"render service: not running (folder {run.path})")
        return
    office = (f"LibreOffice pids {', '.join(map(str, found.office_pids))}" if found.office_pids
              else "LibreOffice not running") + f", {found.office_starts} start(s)"
    typer.echo(
        f"render service: running, pid {found.pid}, up {found.uptime_s:.0f} s, idle {found.idle_s:.0f} s of "
        f"{found.idle_timeout_s:g} s\n{found.requests} request(s), {found.files} file(s); {office}\n"
        f"socket {run.socket}, log {run.log}\ncode {found.package}")


@render_service_app.command("stop")
def render_service_stop() -> None:
    """Stop this user's render service once the requests it has accepted are answered."""
    from synthcomp.render import client

    try:
        pid = client.stop()
    except RenderError as exc:
        _fail(str(exc), code=1)
    typer.echo("no render service was running" if pid is None else f"stopped the render service (pid {pid})")


@image_app.command("build")
def image_build(force: bool = typer.Option(False, "--force", help="Rebuild even if the tag exists.")) -> None:
    """Build the computer image offline (debootstrap rootfs -> docker import), if missing."""
    from synthcomp.sandbox.image import build_image

    try:
        tag = build_image(force=force, console=_console())
    except SynthcompError as exc:
        _fail(str(exc))
    _console().print(f"image ready: {tag}")


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@app.command()
def serve(
    workspace: Path = typer.Argument(..., help="A workspace of computers (the --out of create)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; beyond loopback a --token is required."),
    port: int = typer.Option(8765, "--port"),
    token: str | None = typer.Option(None, "--token", envvar="SYNTHCOMP_TOKEN",
                                     help="Bearer token every request but /health must carry (env SYNTHCOMP_TOKEN)."),
    sandbox: str = typer.Option("docker", "--sandbox", help="docker or local (bubblewrap)."),
    sandbox_config: Path | None = typer.Option(None, "--sandbox-config", help=SANDBOX_CONFIG_HELP),
    max_sessions: int = typer.Option(16, "--max-sessions", min=1, help="Live sessions at most; more get HTTP 503."),
    idle_timeout: float = typer.Option(900.0, "--idle-timeout", min=1.0, help="Seconds before an unused session closes."),
    steps: int = typer.Option(150, "--steps", min=1, help="Step budget per workday."),
    computer: str | None = typer.Option(None, "--computer", help="The computer an MCP session opens when its URL names none."),
) -> None:
    """Serve the workspace's computers over HTTP: MCP at /mcp, OpenEnv at /openenv/ws, JSON at /sessions.

    Each session is one computer in its own sandbox; see README "Serve computers over HTTP"."""
    import uvicorn

    from synthcomp.sandbox.config import sandbox_config as sandbox_from
    from synthcomp.serve.app import build_app
    from synthcomp.serve.sessions import OpenRequest, SessionManager

    if host not in LOOPBACK and not token:
        _fail(f"--host {host} is reachable beyond this machine: give --token (or SYNTHCOMP_TOKEN)")
    if not any(workspace.glob("computers/*/*/computer.json")):
        _fail(f"{workspace} holds no computers (create some with `synthcomp create --out {workspace}`)")
    with _exit_on_errors():
        manager = SessionManager(workspace, sandbox_from(sandbox, sandbox_config), max_sessions=max_sessions,
                                 idle_timeout_s=idle_timeout, step_budget=steps)
    default = OpenRequest(computer_id=computer) if computer else None
    typer.echo(f"serving {len(manager.computers())} computer(s) of {workspace} on http://{host}:{port} "
               f"(MCP /mcp, OpenEnv /openenv/ws, JSON /sessions){'' if token else ', no token (loopback)'}", err=True)
    uvicorn.run(build_app(manager, token, default), host=host, port=port, log_level="warning")


@app.command()
def gc(
    sim: list[Path] = typer.Option([], "--sim", help="Also delete this simulation's checkpoints (repeatable)."),
) -> None:
    """Remove synthcomp containers and snapshots whose owner process is gone.

    Simulation checkpoints are kept snapshots and survive this; ``--sim DIR`` deletes them
    (after which the simulation can no longer be resumed or replayed from a checkpoint).
    """
    from synthcomp.sandbox.gc import collect_garbage
    from synthcomp.sim.cleanup import delete_checkpoints

    try:
        report = collect_garbage()
        removed = {path: delete_checkpoints(path) for path in sim}
    except SynthcompError as exc:
        _fail(str(exc))
    _console().print(report)
    for path, count in removed.items():
        _console().print(f"{path}: removed {count} checkpoint snapshot(s)")


@app.command("mcp")
def mcp_command(
    computer: Path = typer.Argument(..., help="A computer directory (WS/computers/<shard>/<id>)."),
    sandbox: str = typer.Option("docker", "--sandbox", help="docker or local (bubblewrap)."),
    sandbox_config: Path | None = typer.Option(None, "--sandbox-config", help=SANDBOX_CONFIG_HELP),
    seed: int = typer.Option(0, "--seed"),
    days: int = typer.Option(20, "--days", help="Workdays in the simulated month."),
    steps: int = typer.Option(150, "--steps", help="Step budget per workday."),
) -> None:
    """Serve one computer to an MCP client over stdio (e.g. `claude mcp add synthcomp -- synthcomp mcp DIR`).

    stdout carries the protocol only; the computer's sandbox closes when the client does."""
    from synthcomp.sandbox.config import sandbox_config as sandbox_from
    from synthcomp.serve.mcp_tools import run_stdio
    from synthcomp.serve.sessions import OpenRequest, SessionManager
    from synthcomp.workspace import computer_dir

    with _exit_on_errors():
        workspace = workspace_of(computer)
        if not (computer / "computer.json").is_file() or \
                computer_dir(workspace, computer.resolve().name).resolve() != computer.resolve():
            raise InputError(f"{computer} is not a computer directory (WS/computers/<shard>/<id>/computer.json)")
        if steps < 1:
            raise InputError(f"--steps must be at least 1, got {steps}")
        request = OpenRequest(computer_id=computer.resolve().name, seed=seed, days=days)
        manager = SessionManager(workspace, sandbox_from(sandbox, sandbox_config), max_sessions=1, step_budget=steps)
    run_stdio(manager, request)


if __name__ == "__main__":
    app()
