"""DockerSandbox: one container per computer, started from the offline-built image.

The container's main process is the shell controller (``shell.CONTROLLER``) running as
uid 1000 with ``network_mode=none``, no capabilities, ``no-new-privileges`` and
pids/memory/CPU limits. We talk to it over the attach stream (no ``docker exec`` per
command); when this process goes away the stream closes, the controller reads EOF and
exits, and the container removes itself (``auto_remove``).

The computer's tree lives in an anonymous ``local`` volume of type tmpfs with a size
limit, mounted at ``/drives`` or ``/Users``: filling the disk is ENOSPC inside the
sandbox, never a full host disk (fuse-overlayfs has no storage quota), and the user can
write nowhere else but /tmp (tmpfs too). The tree is loaded with one ``put_archive``.

``snapshot`` stores the tree (one ``get_archive``) and the caller's state inside the
container's own filesystem (``/.synthcomp/snapshot/``, root only) and ``docker commit``s
it as ``synthcomp/snapshot:<computer>-<n>`` with labels; ``restore`` starts a fresh
container from that image and loads the tree back.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from synthcomp.errors import InputError, SandboxError
from synthcomp.sandbox import tarball
from synthcomp.sandbox.base import SnapshotRef
from synthcomp.sandbox.config import DockerSandboxConfig
from synthcomp.sandbox.gc import COMPUTER, KEEP, ROLE, owner_labels
from synthcomp.sandbox.image import connect, image_tag, require_image
from synthcomp.sandbox.jail import GID, UID, JailSandbox, hostname_for, passwd_lines, user_environment
from synthcomp.sandbox.paths import Layout
from synthcomp.sandbox.shell import CONTROLLER, MultiplexedSocketTransport, ShellSession

SNAPSHOT_REPOSITORY = "synthcomp/snapshot"
SNAPSHOT_DIR = "/.synthcomp/snapshot"
MAX_LAYERS = 60
"""A snapshot image deeper than this restores onto its base image instead (overlay limits)."""

_ETC_CACHE: dict[str, tuple[str, str]] = {}


@dataclass
class _Container:
    id: str
    session: ShellSession
    image: str


def _safe(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text).strip("-.")[:limit] or "computer"


class DockerSandbox(JailSandbox):
    """See the module docstring; the contract is ``Sandbox``'s."""

    backend = "docker"

    def __init__(
        self,
        tree: Path | None,
        *,
        os: str,
        username: str,
        computer_id: str,
        config: DockerSandboxConfig | None = None,
    ) -> None:
        self._container: _Container | None = None
        super().__init__(layout=Layout(os, username), computer_id=computer_id)
        self.config = config or DockerSandboxConfig()
        try:
            self._client = connect()
            self.image = self.config.image or image_tag()
            self._base_id = require_image(self._client, self.image).id
            source = None if tree is None else self._tree_source(Path(tree))
            self._container = self._start(self.image, source)
        except BaseException:
            self.closed = True
            raise

    # ------------------------------------------------------------------ start / stop

    def _tree_source(self, tree: Path) -> Callable[[str], bytes]:
        if not tree.is_dir():
            raise InputError(f"computer tree {tree} is not a directory")
        top = self.layout.top
        extra = sorted(p.name for p in tree.iterdir() if p.name != top)
        if extra:
            raise InputError(f"a {self.layout.os} computer's tree holds only {top}/; {tree} also has {', '.join(extra)}")
        if not (tree / top).is_dir():
            return lambda cid: b""
        return lambda cid: tarball.pack_dir(tree / top, uid=UID, gid=GID, prefix=top)

    @property
    def container_id(self) -> str | None:
        return self._container.id if self._container else None

    @property
    def session(self) -> ShellSession:  # type: ignore[override]
        self._require_open()
        return self._container.session

    def labels(self) -> dict[str, str]:
        return {
            COMPUTER: self.computer_id,
            ROLE: "sandbox",
            "synthcomp.os": self.layout.os,
            "synthcomp.username": self.layout.username,
            **owner_labels(),
        }

    def run_options(self, image: str) -> dict[str, Any]:
        """Keyword arguments of ``APIClient.create_container`` for this computer."""
        import docker.types

        cfg, layout = self.config, self.layout
        hostname = hostname_for(self.computer_id, cfg.hostname)
        volume = docker.types.Mount(
            target=layout.root,
            source=None,
            type="volume",
            labels=self.labels(),
            driver_config=docker.types.DriverConfig(
                "local",
                {"type": "tmpfs", "device": "tmpfs", "o": f"size={cfg.disk_mb}m,uid={UID},gid={GID},mode=0755"},
            ),
        )
        host_config = self._client.api.create_host_config(
            network_mode="none",
            mounts=[volume],
            tmpfs={"/tmp": f"rw,nosuid,nodev,size={cfg.tmp_mb}m,mode=1777"},
            shm_size="16m",
            mem_limit=f"{cfg.memory_mb}m",
            memswap_limit=f"{cfg.memory_mb}m",
            nano_cpus=int(cfg.cpus * 1e9),
            pids_limit=cfg.pids,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            oom_score_adj=500,
            auto_remove=True,
            # No log driver: every byte a command prints would also be written to the
            # host disk as JSON (and a `yes` flood would crawl through it line by line).
            log_config=docker.types.LogConfig(type="none"),
        )
        return dict(
            image=image,
            command=["/bin/bash", "--noprofile", "--norc", "-c", CONTROLLER],
            user=f"{UID}:{GID}",
            environment=user_environment(layout, hostname),
            hostname=hostname,
            labels=self.labels(),
            working_dir="/",
            stdin_open=True,
            detach=False,  # with stdin_open: StdinOnce, so our disconnect is the shell's EOF
            host_config=host_config,
            name=f"synthcomp-{_safe(self.computer_id, 40)}-{secrets.token_hex(3)}",
        )

    def _start(self, image: str, source: Callable[[str], bytes] | None, tree_at: str = "/") -> _Container:
        import docker.errors

        api = self._client.api
        cid = None
        try:
            cid = api.create_container(**self.run_options(image))["Id"]
            api.put_archive(cid, "/etc", self._etc_tar(cid, image))
            tree = source(cid) if source else b""
            sockio = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            transport = MultiplexedSocketTransport(getattr(sockio, "_sock", sockio))
            api.start(cid)
            if tree and not api.put_archive(cid, tree_at, tree):
                raise SandboxError("put_archive of the computer tree failed")
            session = ShellSession(
                transport,
                lambda: api.kill(cid, signal="SIGUSR1"),
                max_output_bytes=self.config.max_output_bytes,
                flood_bytes=self.config.flood_bytes,
                describe=f"docker sandbox {self.computer_id}",
            )
            session.start(self.config.start_timeout_s)
            return _Container(cid, session, image)
        except BaseException as exc:
            if cid:
                self._remove(cid)
            if isinstance(exc, docker.errors.APIError):
                raise SandboxError(f"cannot start a container for {self.computer_id} from {image}: {exc}") from exc
            raise

    def _etc_tar(self, cid: str, image: str) -> bytes:
        """/etc/passwd and /etc/group of the image plus the synthetic user."""
        if image not in _ETC_CACHE:
            stream, _ = self._client.api.get_archive(cid, "/etc/passwd")
            passwd = tarball.files_in_tar(b"".join(stream))["passwd"].decode()
            stream, _ = self._client.api.get_archive(cid, "/etc/group")
            group = tarball.files_in_tar(b"".join(stream))["group"].decode()
            keep = lambda text: "".join(l + "\n" for l in text.splitlines() if l.split(":")[2:3] != [str(UID)])
            _ETC_CACHE[image] = (keep(passwd), keep(group))
        passwd, group = _ETC_CACHE[image]
        user, user_group = passwd_lines(self.layout)
        return _tar_of({"passwd": (passwd + user).encode(), "group": (group + user_group).encode()}, 0o644)

    def _remove(self, cid: str) -> None:
        import docker.errors

        try:
            self._client.api.remove_container(cid, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: auto-remove already under way
                raise

    def _close(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            self._discard(container)

    def _discard(self, container: _Container) -> None:
        """Remove a container, and the snapshot image it ran from if that was deleted meanwhile."""
        import docker.errors

        container.session.close()
        self._remove(container.id)
        if container.image == self.image:
            return
        try:
            image = self._client.images.get(container.image)
            if not image.tags:
                self._client.images.remove(image.id)
        except docker.errors.APIError:
            pass  # gone already, or still used: `synthcomp gc` removes dangling snapshots

    # ------------------------------------------------------------------ trees

    def put_tree(self, host_dir: Path, dest: str) -> None:
        self._require_open()
        data = tarball.pack_dir(Path(host_dir), uid=UID, gid=GID)
        # The destination is created and checked as the user (symlinks, permissions);
        # then the daemon unpacks into the real path it reported.
        real = self._real_dir(dest)
        if not self._client.api.put_archive(self.container_id, real, data):
            raise SandboxError(f"put_archive into {real} failed")

    def _real_dir(self, dest: str) -> str:
        script = self._checked("p", dest, exists=False) + 'mkdir -p -- "$p" && [ -d "$p" ] && printf %s "$p"\n'
        code, out, err = self.session.run_raw(script)
        self._raise_for(code, err, dest, "creating")
        return out.decode()

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, tag: str, state: dict[str, Any] | None = None, *, keep: bool = False) -> SnapshotRef:
        self._require_open()
        api, cid = self._client.api, self.container_id
        state_json = self._state_json(state)
        try:
            tree = self._tar(self.layout.root)  # as the user: exact (ns) mtimes
        except PermissionError:
            # Something the user made unreadable: the daemon reads it as root, at the
            # price of whole-second mtimes (Docker's archives truncate them).
            stream, _ = api.get_archive(cid, self.layout.root)
            tree = tarball.strip_first(b"".join(stream))
        api.put_archive(cid, "/.synthcomp", _tar_of({"snapshot/tree.tar": tree, "snapshot/state.json": state_json}, 0o600))
        created = datetime.now(timezone.utc)
        name = f"{_safe(self.computer_id, 100)}-{secrets.token_hex(4)}"
        labels = {
            **self.labels(),
            ROLE: "snapshot",
            "synthcomp.snapshot": tag,
            "synthcomp.created": created.isoformat(),
            "synthcomp.base": self._base_id,
            KEEP: "1" if keep else "0",
        }
        changes = ["LABEL " + " ".join(f"{json.dumps(k)}={json.dumps(v)}" for k, v in labels.items())]
        try:
            image_id = api.commit(cid, repository=SNAPSHOT_REPOSITORY, tag=name, changes=changes, pause=False)["Id"]
        except Exception as exc:
            raise SandboxError(f"docker commit of {cid[:12]} failed: {exc}") from exc
        finally:
            # The image has it now; the live container's writable layer (host disk) need not.
            api.exec_start(api.exec_create(cid, ["rm", "-rf", SNAPSHOT_DIR], user="0")["Id"])
        return SnapshotRef(
            backend="docker", id=image_id, tag=tag, computer_id=self.computer_id, os=self.layout.os,
            username=self.layout.username, created=created, location=f"{SNAPSHOT_REPOSITORY}:{name}", keep=keep,
        )

    def restore(self, ref: SnapshotRef) -> dict[str, Any]:
        import docker.errors

        self._require_open()
        self._check_ref(ref, "docker")
        try:
            image = self._client.images.get(ref.id)
        except docker.errors.ImageNotFound:
            raise SandboxError(f"snapshot {ref.tag!r} ({ref.location}) no longer exists") from None
        found: dict[str, bytes] = {}

        def from_snapshot(cid: str) -> bytes:
            found.update(self._snapshot_files(cid))
            return found["tree.tar"]

        if len(image.attrs.get("RootFS", {}).get("Layers", [])) <= MAX_LAYERS:
            new = self._start(ref.id, from_snapshot, tree_at=self.layout.root)
        else:  # too deep to stack another layer on: the tree and state carry everything
            helper = self._client.api.create_container(
                ref.id, command=["true"], network_disabled=True, labels={**self.labels(), ROLE: "helper"}
            )["Id"]
            try:
                found.update(self._snapshot_files(helper))
            finally:
                self._remove(helper)
            base = image.labels.get("synthcomp.base", self.image)
            new = self._start(base, lambda cid: found["tree.tar"], tree_at=self.layout.root)
        old, self._container = self._container, new
        self._discard(old)
        return json.loads(found["state.json"])

    def _snapshot_files(self, cid: str) -> dict[str, bytes]:
        stream, _ = self._client.api.get_archive(cid, SNAPSHOT_DIR)
        files = tarball.files_in_tar(b"".join(stream))
        return {name.rsplit("/", 1)[-1]: data for name, data in files.items()}

    def list_snapshots(self) -> list[SnapshotRef]:
        images = self._client.images.list(
            filters={"label": [f"{ROLE}=snapshot", f"{COMPUTER}={self.computer_id}"], "dangling": False}
        )
        refs = [_ref_of(image) for image in images]
        return sorted((r for r in refs if r is not None), key=lambda r: r.created)

    def delete_snapshot(self, ref: SnapshotRef) -> None:
        import docker.errors

        # By tag: an image that a restored container still runs from is only untagged
        # now, and removed when that container goes (or by `synthcomp gc`).
        for name in (ref.location, ref.id):
            try:
                self._client.images.remove(name, force=name != ref.id)
                return
            except docker.errors.ImageNotFound:
                continue
            except docker.errors.APIError as exc:
                if exc.status_code != 409:
                    raise
                return


def _ref_of(image) -> SnapshotRef | None:
    labels = image.labels or {}
    try:
        return SnapshotRef(
            backend="docker", id=image.id, tag=labels["synthcomp.snapshot"], computer_id=labels[COMPUTER],
            os=labels["synthcomp.os"], username=labels["synthcomp.username"],
            created=datetime.fromisoformat(labels["synthcomp.created"]),
            location=image.tags[0] if image.tags else image.id, keep=labels.get(KEEP) == "1",
        )
    except (KeyError, ValueError):
        return None


def _tar_of(files: dict[str, bytes], mode: int) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
