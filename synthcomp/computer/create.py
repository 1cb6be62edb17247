"""One computer, end to end: persona -> profile -> policy -> plan -> files + computer.json.

A computer directory appears whole or not at all: it is built under a hidden
``.partial-*`` name and renamed into place only when every file is written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from synthcomp.brains.base import CreationBrain
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.computer.hashing import tree_hash
from synthcomp.computer.materialize import epoch, materialize
from synthcomp.computer.personas import match_occupation
from synthcomp.brains.model.client import Usage
from synthcomp.brains.model.config import BrainConfig, ProceduralBrainConfig
from synthcomp.workspace import computer_dir
from synthcomp.models import Catalog, Computer, OSName, Persona

COMPUTER_FILE = "computer.json"
FILES_DIR = "files"


@dataclass(frozen=True)
class ComputerJob:
    """Everything needed to create computer number ``index`` of a batch (picklable)."""

    index: int
    seed: int
    os_name: OSName
    persona: Persona
    out: Path
    brain: BrainConfig = ProceduralBrainConfig()
    """Who creates it (its key travels in memory only)."""

    @property
    def computer_seed(self) -> int:
        """Each computer's own seed, derived from the batch seed and its index."""
        digest = hashlib.sha256(f"{self.seed}:{self.index}".encode()).digest()
        return int.from_bytes(digest[:6], "big")

    @property
    def computer_id(self) -> str:
        digest = hashlib.sha256(f"{self.seed}:{self.index}:{self.os_name}:{self.persona.text}".encode()).hexdigest()
        return f"{'win' if self.os_name == 'windows' else 'mac'}-{digest[:10]}"


def with_coordinates(persona: Persona, catalog: Catalog, seed: int) -> Persona:
    """A file persona (free text) gets catalog coordinates the procedural brain can use."""
    if persona.occupation and persona.industry and persona.region and persona.seniority:
        return persona
    rng = rng_for(seed, "coordinates")
    occupation = match_occupation(persona.text, catalog, seed)
    return persona.model_copy(update={
        "occupation": occupation.title, "industry": occupation.industry,
        "seniority": persona.seniority or rng.choice(catalog.seniorities),
        "region": persona.region or rng.choice(catalog.regions).city,
        "traits": persona.traits or rng.sample(catalog.traits, k=2),
    })


def create_computer(job: ComputerJob, brain: CreationBrain, catalog: Catalog, usage: Usage | None = None) -> Computer:
    """Create one computer under ``job.out/computers/<shard>/<id>/`` and return its model;
    ``usage`` is the ledger of the brain's model calls, whose warnings (what was degraded)
    the computer records."""
    seed = job.computer_seed
    persona = with_coordinates(job.persona, catalog, seed)
    profile = brain.user_profile(persona)
    policy = brain.filesystem_policy(profile, job.os_name)
    plan = brain.file_plan(profile, policy)
    final = computer_dir(job.out, job.computer_id)
    partial = final.with_name(f".partial-{job.computer_id}-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        materialize(plan, profile, policy, brain, partial / FILES_DIR, seed)
        computer = Computer(
            id=job.computer_id, seed=seed, brain=brain.name, persona=persona, profile=profile, policy=policy,
            plan=plan, content_hash=tree_hash(partial / FILES_DIR), warnings=list(usage.warnings) if usage else [],
        )
        meta = partial / COMPUTER_FILE
        meta.write_text(computer.model_dump_json(indent=1) + "\n")
        stamp = epoch(policy.now)  # not wall time: the whole directory is a function of the seed
        os.utime(meta, (stamp, stamp))
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return computer
