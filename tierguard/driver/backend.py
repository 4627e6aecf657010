"""Where state lives and how secrets are encrypted: the embedded default or the user's choice.

The embedded default is a local file backend under the project (``.tierguard/state/``,
git-ignored) with a passphrase generated once into ``.tierguard/passphrase`` (mode 0600).
``--backend URL`` or ``PULUMI_BACKEND_URL`` choose another backend (an S3 bucket, Pulumi
Cloud, …); the passphrase then comes from ``PULUMI_CONFIG_PASSPHRASE`` (or ``…_FILE``) as
with the Pulumi CLI. The passphrase itself is never read into tierguard's memory after it
is generated: the engine gets the *path* (``PULUMI_CONFIG_PASSPHRASE_FILE``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tierguard.errors import UsageError

STATE_DIR = Path(".tierguard") / "state"
PASSPHRASE_FILE = Path(".tierguard") / "passphrase"
EMULATOR_STATE_DIR = Path(".tierguard") / "emulator" / "state"

#: Schemes the Pulumi CLI accepts as a backend URL.
BACKEND_SCHEMES = ("file://", "s3://", "gs://", "azblob://", "https://", "http://")
_STACK_NAME = re.compile(r"^(?:[A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class BackendChoice:
    """The backend URL handed to the engine, and the environment that goes with it."""

    url: str
    embedded: bool
    """Whether this is tierguard's own state folder (the passphrase file is then ours)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Variables for every engine command: the backend, the passphrase file if generated."""
    state_dir: Path | None = None
    """The embedded state folder, created by ``prepare``."""
    passphrase_file: Path | None = None
    """The generated passphrase file, created by ``prepare`` when it does not exist yet."""

    def prepare(self) -> None:
        """Create the embedded state folder and passphrase file (once the engine is there,
        so a run that cannot start leaves nothing behind); check the passphrase file."""
        if self.state_dir is not None:
            ensure_dir(self.state_dir)
        if self.passphrase_file is not None:
            ensure_passphrase_file(self.passphrase_file)

    @property
    def description(self) -> str:
        return f"local state in {self.url.removeprefix('file://')}" if self.embedded else self.url

    def locks(self, project: str, stack: str) -> list[LockHolder]:
        """The lock files holding ``stack`` on a file backend (``[]`` elsewhere: other
        backends report ``updateInProgress`` themselves)."""
        root = file_backend_dir(self.url)
        return [] if root is None else stack_locks(root, project, stack)


#: The file ("diy") backend's bookkeeping folder and lock folder (pulumi/pulumi
#: ``pkg/backend/diy/lock.go``: ``path.Join(".pulumi", "locks", QnamePath(stack))``).
LOCK_DIR = Path(".pulumi") / "locks"
#: The file backend's only organisation (``diyBackendReference.FullyQualifiedName``).
FILE_BACKEND_ORG = "organization"


@dataclass(frozen=True)
class LockHolder:
    """One lock file, as ``diyBackend.Lock`` writes it: ``{pid, username, hostname,
    timestamp}`` in ``<lock dir>/<lock id>.json``."""

    path: Path
    pid: int | None
    username: str
    hostname: str
    timestamp: str

    def __str__(self) -> str:
        pid = f" (pid {self.pid})" if self.pid is not None else ""
        since = f" since {self.timestamp}" if self.timestamp else ""
        who = f"{self.username}@{self.hostname}" if self.username else "an unknown process"
        return f"{who}{pid}{since} ({self.path})"


def file_backend_dir(url: str) -> Path | None:
    """The folder of a ``file://`` backend URL (``~`` expanded as the CLI does), else None."""
    if not url.startswith("file://"):
        return None
    return Path(os.path.expanduser(url.removeprefix("file://")))


def stack_locks(root: Path, project: str, stack: str) -> list[LockHolder]:
    """Lock files of ``stack`` under a file backend's folder ``root``.

    A project-scoped backend (the default since 3.61) locks
    ``.pulumi/locks/organization/<project>/<stack>/``; a legacy one ``.pulumi/locks/<stack>/``.
    ``stack`` may be ``org/project/stack``, as the CLI accepts it.
    """
    parts = stack.split("/")
    name = parts[-1]
    if len(parts) == 3:
        project = parts[1]
    folders = [root / LOCK_DIR / FILE_BACKEND_ORG / project / name, root / LOCK_DIR / name]
    holders: list[LockHolder] = []
    for folder in folders:
        try:
            files = sorted(p for p in folder.iterdir() if p.suffix == ".json" and p.is_file())
        except OSError:
            continue
        holders.extend(_read_lock(path) for path in files)
    return holders


def _read_lock(path: Path) -> LockHolder:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    pid = doc.get("pid")
    return LockHolder(
        path=path,
        pid=pid if isinstance(pid, int) else None,
        username=str(doc.get("username") or ""),
        hostname=str(doc.get("hostname") or ""),
        timestamp=str(doc.get("timestamp") or ""),
    )


def validate_stack_name(name: str) -> str:
    """Pulumi's rule: letters, digits, ``_ . -``, optionally ``org/project/stack``."""
    if not name or len(name) > 100 or not _STACK_NAME.match(name):
        raise UsageError(
            f"stack name {name!r} is not valid; use letters, digits, '-', '_' and '.' "
            "(optionally org/project/stack), at most 100 characters"
        )
    return name


def validate_backend_url(url: str) -> str:
    if not url.startswith(BACKEND_SCHEMES) or len(url) <= len(url.split("://", 1)[0]) + 3:
        raise UsageError(
            f"backend URL {url!r} is not valid; use file://<dir>, s3://<bucket>, gs://<bucket>, "
            "azblob://<container> or https://api.pulumi.com (Pulumi Cloud)"
        )
    return url


def ensure_dir(path: Path) -> Path:
    """``mkdir -p`` for tierguard's own folders; a file in the way is one clear error."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocker is None:
            raise UsageError(f"cannot create {path}: {exc.strerror}") from None
        raise UsageError(
            f"cannot create {path}: {blocker} is a file, not a directory; tierguard keeps its "
            f"state there, so move {blocker} out of the way"
        ) from None
    return path


def check_passphrase_file(path: Path) -> Path:
    """Refuse a passphrase file anyone else could read or swap: it must be a regular,
    non-empty file (not a symlink) owned by this user with mode 0600. Only metadata is
    read; the passphrase itself never is."""
    info = path.lstat()
    fix: str | None = None
    if stat.S_ISLNK(info.st_mode):
        fix = "is a symbolic link; replace it with the file itself (mode 0600)"
    elif not stat.S_ISREG(info.st_mode):
        fix = "is not a regular file; move it away and restore the passphrase file"
    elif info.st_uid != os.getuid():
        fix = f"belongs to uid {info.st_uid}, not to you (uid {os.getuid()}); chown it to yourself"
    elif stat.S_IMODE(info.st_mode) & 0o077:
        fix = (
            f"has mode {stat.S_IMODE(info.st_mode):04o}, readable by others; run "
            f"`chmod 600 {path}` (and consider the passphrase exposed)"
        )
    elif info.st_size == 0:
        fix = (
            "is empty; restore it from your backup (the state's secrets are encrypted with "
            "it), or delete it only if no stack has been deployed from this project"
        )
    if fix is not None:
        raise UsageError(f"the passphrase file {path} {fix}")
    return path


def ensure_passphrase_file(path: Path) -> Path:
    """Create the passphrase file once (0600, random); later calls check it."""
    ensure_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return check_passphrase_file(path)
    except OSError as exc:
        raise UsageError(f"cannot create the passphrase file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(32))
    return path


def choose_backend(
    project_dir: Path,
    *,
    backend: str | None,
    environ: Mapping[str, str],
    emulator: bool = False,
) -> BackendChoice:
    """Pick the backend: ``--backend``, then ``PULUMI_BACKEND_URL``, then the embedded folder.

    Nothing is created here (see ``BackendChoice.prepare``). Emulator runs always use their
    own folder: their resources live only as long as the
    emulator, so their state must never mix with a real stack's.
    """
    has_passphrase = any(
        key in environ for key in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
    )
    chosen = None if emulator else (backend or environ.get("PULUMI_BACKEND_URL") or None)
    if emulator and backend:
        raise UsageError(
            f"--backend {backend!r} cannot be combined with --emulator: emulator state is "
            "throw-away and always kept in .tierguard/emulator/state"
        )
    if chosen is not None:
        url = validate_backend_url(chosen)
        needs_passphrase = not url.startswith(("https://", "http://"))
        if needs_passphrase and not has_passphrase:
            raise UsageError(
                f"backend {url!r} needs a secrets passphrase: set PULUMI_CONFIG_PASSPHRASE (or "
                "PULUMI_CONFIG_PASSPHRASE_FILE); a generated one is only used for the embedded "
                "state folder"
            )
        return BackendChoice(url=url, embedded=False, env={"PULUMI_BACKEND_URL": url})
    state = project_dir / (EMULATOR_STATE_DIR if emulator else STATE_DIR)
    url = f"file://{state}"
    env = {"PULUMI_BACKEND_URL": url}
    passphrase = None if has_passphrase else project_dir / PASSPHRASE_FILE
    if passphrase is not None:
        env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(passphrase)
    return BackendChoice(
        url=url, embedded=True, env=env, state_dir=state, passphrase_file=passphrase
    )
