"""The computer image: built offline from a Debian rootfs, found by a recipe-hash tag.

The Docker Engine of this project's machines has no registry, so nothing is pulled:
``debootstrap --variant=minbase`` builds a rootfs against the mirror the host's apt
sources name (read at build time), the host's pip installs the office libraries as
wheels into it, ``images/computer/finalize.sh`` trims it inside a chroot, and
``docker import`` turns the tarball into ``synthcomp/computer:<hash>``. The hash covers
every file of ``images/computer/``, so the image is rebuilt exactly when the recipe
changes; the rootfs tarball is cached under ``~/.cache/synthcomp/`` by the same hash,
so rebuilding a deleted image takes seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from pydantic import BaseModel, ConfigDict, Field

from synthcomp.errors import InputError, SandboxError

if TYPE_CHECKING:
    import docker
    from rich.console import Console

RECIPE_DIR = Path(__file__).resolve().parents[2] / "images" / "computer"
"""Where the recipe lives in a source checkout (``images/computer/``)."""

DEFAULT_CACHE = Path.home() / ".cache" / "synthcomp"
IMAGE_LABEL = "synthcomp.image"
RECIPE_LABEL = "synthcomp.recipe"


class DebianRecipe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suite: str = Field(description="Debian release to bootstrap, e.g. bookworm.")
    variant: str = "minbase"
    packages: list[str] = Field(description="Passed to debootstrap --include.")


class PythonRecipe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    requirements: list[str] = Field(description="Pinned requirements installed as binary wheels.")


class ImageRecipe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repository: str = "synthcomp/computer"
    uid: int = Field(1000, ge=1, description="The synthetic user's uid inside the container.")
    gid: int = Field(1000, ge=1)


class Recipe(BaseModel):
    """``images/computer/recipe.toml``."""

    model_config = ConfigDict(extra="forbid")
    debian: DebianRecipe
    python: PythonRecipe
    image: ImageRecipe = ImageRecipe()


def load_recipe(recipe_dir: Path = RECIPE_DIR) -> Recipe:
    """Read and validate ``recipe.toml``.

    Raises:
        InputError: the recipe is missing (synthcomp was installed without its source
            tree) or does not validate.
    """
    path = recipe_dir / "recipe.toml"
    if not path.is_file():
        raise InputError(
            f"image recipe not found at {path}: build the image from a source checkout of synthcomp"
        )
    try:
        return Recipe.model_validate(tomllib.loads(path.read_text()))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise InputError(f"bad image recipe {path}: {exc}") from exc


def recipe_hash(recipe_dir: Path = RECIPE_DIR) -> str:
    """sha256 over every file of the recipe directory (relative path and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in recipe_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(recipe_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def image_tag(recipe_dir: Path = RECIPE_DIR) -> str:
    """The tag the current recipe builds, ``synthcomp/computer:<12 hex>``."""
    return f"{load_recipe(recipe_dir).image.repository}:{recipe_hash(recipe_dir)[:12]}"


# --------------------------------------------------------------------------- daemon


def connect() -> docker.DockerClient:
    """A client for the local Docker daemon.

    Raises:
        SandboxError: the ``docker`` package is missing or the daemon does not answer;
            the message says how to fix it.
    """
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - docker is a core dependency
        raise SandboxError("the 'docker' Python package is not installed: pip install 'docker>=7'") from exc
    try:
        client = docker.from_env(timeout=120)
        if client.api.base_url.startswith("http+docker://"):
            # A unix socket: no proxy or .netrc can apply, and requests would read os.environ
            # for them on every call, which races with any thread changing it (a container's
            # removal thread died of a KeyError so).
            client.api.trust_env = False
        client.ping()
    except Exception as exc:
        raise SandboxError(
            "the Docker daemon is not running or not reachable "
            f"({type(exc).__name__}: {exc}). Start it (`sudo systemctl start docker`, or "
            "`sudo dockerd &` where there is no systemd) and check `docker info`; "
            "or use the local sandbox (type: local, needs bubblewrap)."
        ) from exc
    return client


def require_image(client: docker.DockerClient, tag: str) -> Any:
    """The image ``tag``, or a SandboxError saying how to build it."""
    import docker.errors

    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        raise SandboxError(
            f"the computer image {tag} is missing: build it with `synthcomp image build` "
            "(or `make image`); it needs about a minute and no registry"
        ) from None


# --------------------------------------------------------------------------- build


def build_image(
    force: bool = False,
    console: Console | None = None,
    *,
    recipe_dir: Path = RECIPE_DIR,
    cache_dir: Path = DEFAULT_CACHE,
    mirror: str | None = None,
) -> str:
    """Build the computer image if its tag is missing (or always, with ``force``).

    Args:
        force: rebuild the rootfs and re-import even if the tag exists.
        console: where progress goes (rich); silent when None.
        recipe_dir: the recipe directory (default ``images/computer/``).
        cache_dir: where the rootfs tarball is cached, keyed by recipe hash.
        mirror: Debian mirror URL; by default the one the host's apt sources name.

    Returns:
        The image tag, e.g. ``synthcomp/computer:0123456789ab``.

    Raises:
        SandboxError: no daemon, not root, debootstrap/pip/import failed (with the log tail).
        InputError: the recipe is missing or invalid, or no mirror can be found.
    """
    say = (lambda msg: console.print(msg, markup=False, highlight=False)) if console else (lambda msg: None)
    recipe = load_recipe(recipe_dir)
    digest = recipe_hash(recipe_dir)
    tag = f"{recipe.image.repository}:{digest[:12]}"
    client = connect()
    if not force and _image_exists(client, tag):
        say(f"{tag} is up to date (recipe unchanged)")
        return tag
    work = cache_dir / "images" / digest[:12]
    work.mkdir(parents=True, exist_ok=True)
    tarball = work / "rootfs.tar"
    with _locked(work / ".lock"):
        if force or not tarball.is_file():
            started = time.monotonic()
            _build_rootfs(recipe, recipe_dir, work, tarball, mirror, say)
            say(f"rootfs built in {time.monotonic() - started:.0f} s ({tarball.stat().st_size / 2**20:.0f} MiB)")
        else:
            say(f"using cached rootfs {tarball}")
        started = time.monotonic()
        repository, _, version = tag.partition(":")
        changes = [
            f"LABEL {IMAGE_LABEL}=computer {RECIPE_LABEL}={digest}",
            "ENV LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin PYTHONDONTWRITEBYTECODE=1",
            "WORKDIR /",
            'CMD ["/bin/bash"]',
        ]
        try:
            client.api.import_image_from_file(str(tarball), repository=repository, tag=version, changes=changes)
        except Exception as exc:
            raise SandboxError(f"docker import of {tarball} failed: {exc}") from exc
        size = client.images.get(tag).attrs.get("Size", 0)
        say(f"imported {tag} in {time.monotonic() - started:.1f} s ({size / 1e6:.0f} MB)")
    for stale in _remove_stale(client, client.images.get(tag).id, digest, cache_dir):
        say(f"removed the outdated {stale}")
    return tag


def _remove_stale(client: docker.DockerClient, current: str, digest: str, cache_dir: Path) -> list[str]:
    """Drop other computer images (older recipes, or replaced by --force) and old caches.

    Images still used by a container stay.
    """
    import docker.errors

    removed = []
    for image in client.images.list(filters={"label": f"{IMAGE_LABEL}=computer"}):
        if image.id == current:
            continue
        try:
            client.images.remove(image.id)
            removed += image.tags or [image.short_id]
        except docker.errors.APIError:
            pass  # a container still uses it
    for folder in (cache_dir / "images").glob("*"):
        if folder.is_dir() and folder.name != digest[:12]:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(f"cache {folder}")
    return removed


def _image_exists(client: docker.DockerClient, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_rootfs(recipe: Recipe, recipe_dir: Path, work: Path, tarball: Path, mirror: str | None, say) -> None:
    if os.geteuid() != 0:
        raise SandboxError("building the image runs debootstrap and chroot, which need root: run it with sudo")
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            raise SandboxError(f"{tool} is not installed: `sudo apt-get install debootstrap` (or `make setup`)")
    mirror = mirror or find_mirror(recipe.debian.suite)
    rootfs = work / "rootfs"
    log = work / "build.log"
    shutil.rmtree(rootfs, ignore_errors=True)
    say(f"debootstrap {recipe.debian.suite} ({recipe.debian.variant}) from {mirror} ... (about a minute)")
    _run(
        ["debootstrap", f"--variant={recipe.debian.variant}", "--include=" + ",".join(recipe.debian.packages),
         recipe.debian.suite, str(rootfs), mirror],
        log,
    )
    python = _rootfs_python(rootfs)
    site = rootfs / "usr" / "local" / "lib" / python / "dist-packages"
    say(f"installing {', '.join(recipe.python.requirements)} as wheels for {python}")
    platforms = [arg for tag in _manylinux_tags(rootfs) for arg in ("--platform", tag)]
    _run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check",
         "--target", str(site), "--only-binary=:all:", "--implementation", "cp",
         "--python-version", python.removeprefix("python"), *platforms, *recipe.python.requirements],
        log,
    )
    say("finalizing (byte-compile, trim) inside the rootfs")
    shutil.copy(recipe_dir / "finalize.sh", rootfs / "finalize.sh")
    _run(["chroot", str(rootfs), "/bin/sh", "/finalize.sh"], log)
    (rootfs / "finalize.sh").unlink()
    partial = tarball.with_suffix(".tar.partial")
    _run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."], log)
    partial.replace(tarball)
    shutil.rmtree(rootfs, ignore_errors=True)


def _rootfs_python(rootfs: Path) -> str:
    """``python3.11``: the interpreter the rootfs's /usr/bin/python3 points to."""
    target = os.readlink(rootfs / "usr" / "bin" / "python3")
    name = Path(target).name
    if not re.fullmatch(r"python3\.\d+", name):
        raise SandboxError(f"unexpected python3 in the rootfs: /usr/bin/python3 -> {target}")
    return name


def _manylinux_tags(rootfs: Path) -> list[str]:
    """Wheel platform tags the rootfs's glibc accepts, newest first (pip does not expand them)."""
    out = subprocess.run(["chroot", str(rootfs), "getconf", "GNU_LIBC_VERSION"], capture_output=True, text=True)
    match = re.fullmatch(r"glibc 2\.(\d+)\s*", out.stdout)
    if out.returncode != 0 or match is None:
        raise SandboxError(f"cannot read the rootfs's glibc version: {out.stdout!r} {out.stderr!r}")
    machine = platform.machine()
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(int(match.group(1)), 16, -1)]
    return tags + [f"manylinux2014_{machine}"]


def _run(cmd: list[str], log: Path) -> None:
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
        raise SandboxError(f"{cmd[0]} failed with exit code {result.returncode} (log: {log}):\n{tail}")


# --------------------------------------------------------------------------- mirror


def find_mirror(suite: str, sources: list[Path] | None = None) -> str:
    """The Debian mirror the host's apt sources name for ``suite`` (or any Debian suite).

    Reads deb822 ``*.sources`` files (``URIs:``) and one-line ``sources.list`` files.

    Raises:
        InputError: no apt source names a Debian archive.
    """
    if sources is None:
        apt = Path("/etc/apt")
        sources = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list")),
                   *sorted((apt / "sources.list.d").glob("*.sources"))]
    entries: list[tuple[str, list[str]]] = []
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        entries += _deb822_entries(text) if path.suffix == ".sources" else _one_line_entries(text)
    # Prefer the archive that serves the suite itself (not -security / -updates).
    for uri, suites in entries:
        if suite in suites:
            return uri.rstrip("/")
    for uri, suites in entries:
        if uri.rstrip("/").endswith("/debian") and any("-" not in s for s in suites):
            return uri.rstrip("/")
    raise InputError(
        "no Debian mirror found in the host's apt sources (/etc/apt/sources.list, "
        "/etc/apt/sources.list.d/*.sources): add one, or pass mirror= to build_image()"
    )


def _deb822_entries(text: str) -> list[tuple[str, list[str]]]:
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        suites = fields.get("suites", "").split()
        entries += [(uri, suites) for uri in fields.get("uris", "").split() if uri.startswith(("http", "file:"))]
    return entries


def _one_line_entries(text: str) -> list[tuple[str, list[str]]]:
    entries = []
    for line in text.splitlines():
        line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
        if len(line) >= 3 and line[0] == "deb" and line[1].startswith(("http", "file:")):
            entries.append((line[1], [line[2]]))
    return entries
