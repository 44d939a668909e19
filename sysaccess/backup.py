"""Back up and restore Redis, which holds all of sysaccess's state (requests, decisions, outboxes,
idempotency records, deliveries, sessions).

A backup is a folder with:

- ``dump.rdb``: a point-in-time snapshot made by BGSAVE, checked with ``redis-check-rdb``;
- ``appendonlydir/``: a copy of the append-only files (Redis 7 multi-part AOF: manifest, base
  and increments), taken right after the snapshot and checked with ``redis-check-aof``;
- ``backup.json``: what was backed up, when, from where, the key count, and a SHA-256 per file.

The folder is written under a temporary name and renamed when complete, so a folder named like
a backup is a whole one.

Restoring stops the Redis of a layout (sysaccess/infra.py), moves its current files aside,
puts the backup's in place and starts it again. Redis 7 with ``appendonly yes`` loads only the
AOF and ignores ``dump.rdb``, so restoring the snapshot means making it the base of a fresh AOF
(a base file is an RDB file).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from sysaccess import infra

MANIFEST = "backup.json"
RDB_NAME = "dump.rdb"
AOF_DIR = "appendonlydir"
FORMAT = 1
KEYS_READ = re.compile(r"\[info\] (\d+) keys read")
ALREADY_EXPIRED = re.compile(r"\[info\] (\d+) already expired")

Say = Callable[[str], None]


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why and what state things are in."""


@dataclass
class FileEntry:
    path: str  # relative to the backup folder
    bytes: int
    sha256: str


@dataclass
class BackupManifest:
    format: int
    created_at: str
    redis_url: str
    redis_version: str
    redis_dir: str
    dbfilename: str
    appenddirname: str
    dbsize: int
    rdb_keys: int
    rdb_already_expired: int
    aof_valid: bool
    files: list[FileEntry] = field(default_factory=list)

    def write(self, folder: Path) -> None:
        (folder / MANIFEST).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> BackupManifest:
        try:
            raw = json.loads((folder / MANIFEST).read_text())
        except FileNotFoundError as exc:
            raise BackupError(f"{folder} is not a backup: no {MANIFEST}") from exc
        except ValueError as exc:
            raise BackupError(f"{folder / MANIFEST} is not valid JSON: {exc}") from exc
        if raw.get("format") != FORMAT:
            raise BackupError(f"{folder}: unknown backup format {raw.get('format')!r}")
        raw["files"] = [FileEntry(**f) for f in raw.get("files", [])]
        return cls(**raw)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: it comes with redis-server (apt-get install redis-server)")
    return found


def check_rdb(path: Path) -> tuple[int, int]:
    """Run redis-check-rdb; return (keys read, keys already expired)."""
    done = subprocess.run([_tool("redis-check-rdb"), str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"redis-check-rdb rejects {path}:\n{(done.stdout + done.stderr)[-1500:]}")
    keys = KEYS_READ.search(done.stdout)
    expired = ALREADY_EXPIRED.search(done.stdout)
    return int(keys.group(1)) if keys else 0, int(expired.group(1)) if expired else 0


def check_aof(folder: Path) -> bool:
    manifests = list(folder.glob("*.manifest"))
    if len(manifests) != 1:
        return False
    done = subprocess.run(
        [_tool("redis-check-aof"), str(manifests[0])], capture_output=True, text=True, check=False
    )
    return done.returncode == 0 and "valid" in done.stdout


def _aof_files(manifest: Path) -> list[str]:
    names = []
    for line in manifest.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "file":
            names.append(parts[1])
    return names


def _info(client: redis.Redis) -> dict[str, Any]:
    info: dict[str, Any] = client.info("persistence")
    return info


def _config(client: redis.Redis, name: str) -> str:
    value = client.config_get(name)
    return str(value.get(name) or "")


def _bgsave(client: redis.Redis, timeout: float, say: Say) -> None:
    """BGSAVE and wait until that snapshot is on disk.

    A snapshot already running started before this call and may miss the latest writes: wait
    for it, then start ours.
    """
    deadline = time.monotonic() + timeout
    while True:
        saves = int(_info(client).get("rdb_saves", 0))
        try:
            client.bgsave(schedule=True)
            break
        except redis.ResponseError as exc:
            if "in progress" not in str(exc) or time.monotonic() > deadline:
                raise BackupError(f"BGSAVE refused: {exc}") from exc
            time.sleep(0.2)
    say("BGSAVE started; waiting for the snapshot")
    while time.monotonic() < deadline:
        info = _info(client)
        if int(info.get("rdb_saves", 0)) > saves and not int(info.get("rdb_bgsave_in_progress", 0)):
            status = info.get("rdb_last_bgsave_status")
            if status != "ok":
                raise BackupError(f"BGSAVE failed (rdb_last_bgsave_status={status}); see the Redis log")
            return
        time.sleep(0.1)
    raise BackupError(f"BGSAVE did not finish within {timeout:.0f}s")


def _copy_aof(client: redis.Redis, source: Path, target: Path, say: Say, tries: int = 5) -> bool:
    """Copy the AOF folder while no rewrite runs; True when the copy verifies."""
    for _ in range(tries):
        info = _info(client)
        rewrites = info.get("aof_rewrites")
        if int(info.get("aof_rewrite_in_progress", 0)):
            time.sleep(0.5)
            continue
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        manifests = list(source.glob("*.manifest"))
        if len(manifests) != 1:
            raise BackupError(f"{source} has {len(manifests)} AOF manifests; expected one")
        shutil.copy2(manifests[0], target / manifests[0].name)
        for name in _aof_files(target / manifests[0].name):
            shutil.copy2(source / name, target / name)
        after = _info(client)
        if after.get("aof_rewrites") == rewrites and not int(after.get("aof_rewrite_in_progress", 0)):
            valid = check_aof(target)
            say(f"AOF copied ({len(list(target.iterdir()))} files), {'valid' if valid else 'NOT valid'}")
            return valid
        say("an AOF rewrite ran during the copy; copying again")
    raise BackupError(f"could not copy {source} between AOF rewrites in {tries} tries")


def backup_redis(
    redis_url: str, dest: Path, *, timeout: float = 600.0, say: Say = lambda _: None
) -> BackupManifest:
    """Snapshot the Redis at ``redis_url`` into the new folder ``dest``; return its manifest.

    Redis's files are read from its own ``dir``, so this runs on the machine (or container)
    whose file system holds them.
    """
    if dest.exists():
        raise BackupError(f"{dest} exists already; backups are never overwritten")
    client = redis.Redis.from_url(redis_url, socket_timeout=30, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise BackupError(f"cannot reach Redis at {redis_url}: {exc}") from exc
    try:
        redis_dir = Path(_config(client, "dir"))
        dbfilename = _config(client, "dbfilename") or RDB_NAME
        appenddirname = _config(client, "appenddirname") or AOF_DIR
        appendonly = _config(client, "appendonly") == "yes"
        version = str(client.info("server").get("redis_version", ""))
        if not redis_dir.is_dir():
            raise BackupError(
                f"Redis keeps its files in {redis_dir}, which this machine cannot read; run the backup "
                "where that folder is (for a container: in it, or against its volume)"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        try:
            _bgsave(client, timeout, say)
            dbsize = int(client.dbsize())
            shutil.copy2(redis_dir / dbfilename, staging / RDB_NAME)
            keys, expired = check_rdb(staging / RDB_NAME)
            say(f"snapshot copied: {keys} keys, redis-check-rdb OK")
            aof_valid = False
            if appendonly and (redis_dir / appenddirname).is_dir():
                aof_valid = _copy_aof(client, redis_dir / appenddirname, staging / AOF_DIR, say)
            manifest = BackupManifest(
                format=FORMAT,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                redis_url=_without_password(redis_url),
                redis_version=version,
                redis_dir=str(redis_dir),
                dbfilename=dbfilename,
                appenddirname=appenddirname,
                dbsize=dbsize,
                rdb_keys=keys,
                rdb_already_expired=expired,
                aof_valid=aof_valid,
                files=[
                    FileEntry(str(p.relative_to(staging)), p.stat().st_size, _sha256(p))
                    for p in sorted(staging.rglob("*"))
                    if p.is_file()
                ],
            )
            manifest.write(staging)
            staging.rename(dest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except redis.RedisError as exc:
        raise BackupError(f"Redis failed during the backup: {exc}") from exc
    finally:
        client.close()
    return manifest


def _without_password(url: str) -> str:
    return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)


def verify_backup(folder: Path) -> BackupManifest:
    """Read a backup's manifest and check every file against its size and checksum."""
    manifest = BackupManifest.read(folder)
    for entry in manifest.files:
        path = folder / entry.path
        if not path.is_file():
            raise BackupError(f"backup {folder} is missing {entry.path}")
        if path.stat().st_size != entry.bytes or _sha256(path) != entry.sha256:
            raise BackupError(f"backup {folder}: {entry.path} does not match its checksum")
    if not (folder / RDB_NAME).is_file():
        raise BackupError(f"backup {folder} has no {RDB_NAME}")
    return manifest


def _rdb_as_aof(rdb: Path, target: Path) -> None:
    """An AOF folder whose base is the snapshot, with an empty increment (Redis 7 multi-part AOF)."""
    target.mkdir(parents=True)
    base, incr = "appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof"
    shutil.copy2(rdb, target / base)
    (target / incr).write_bytes(b"")
    (target / "appendonly.aof.manifest").write_text(f"file {base} seq 1 type b\nfile {incr} seq 1 type i\n")


@dataclass
class RestoreResult:
    source: str  # "aof" or "rdb"
    keys: int
    expected_keys: int
    moved_aside: Path | None


def restore_redis(
    layout: infra.InfraLayout,
    folder: Path,
    *,
    source: str = "auto",
    timeout: float = 120.0,
    say: Say = lambda _: None,
) -> RestoreResult:
    """Replace the Redis of ``layout`` by the backup in ``folder`` and start it; check it answers.

    ``source``: "aof" restores the AOF copy (the later of the two), "rdb" the snapshot,
    "auto" the AOF copy when it verified at backup time and verifies now, else the snapshot.
    The files Redis had are moved to ``<redis dir>/pre-restore-<time>/``, not deleted.
    """
    if source not in ("auto", "aof", "rdb"):
        raise BackupError(f"unknown source {source!r}: use auto, aof or rdb")
    manifest = verify_backup(folder)
    aof_ok = manifest.aof_valid and (folder / AOF_DIR).is_dir() and check_aof(folder / AOF_DIR)
    if source == "aof" and not aof_ok:
        raise BackupError(f"backup {folder} has no valid AOF copy; restore with --source rdb")
    chosen = "aof" if source == "aof" or (source == "auto" and aof_ok) else "rdb"
    redis_dir = layout.redis_dir
    pid_file = redis_dir / "redis.pid"
    if not pid_file.exists() and infra.port_open(layout.redis_port):
        raise BackupError(
            f"port {layout.redis_port} is held by a Redis this layout did not start "
            f"({redis_dir}); stop it first"
        )
    say(f"stopping Redis on port {layout.redis_port}")
    infra.stop_redis(layout)
    redis_dir.mkdir(parents=True, exist_ok=True)
    aside = redis_dir / f"pre-restore-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    moved = False
    for name in (manifest.dbfilename, manifest.appenddirname):
        if (redis_dir / name).exists():
            aside.mkdir(exist_ok=True)
            shutil.move(str(redis_dir / name), str(aside / name))
            moved = True
    if moved:
        say(f"previous files moved to {aside}")
    expected = manifest.rdb_keys - manifest.rdb_already_expired
    keys = _restore_from(chosen, folder, manifest, layout, timeout, say)
    if chosen == "aof" and source == "auto" and keys < expected:
        # The snapshot was taken at backup time; an AOF copy holding less is incomplete.
        say(f"the AOF copy holds {keys} keys, the snapshot {expected}: restoring the snapshot instead")
        infra.stop_redis(layout)
        shutil.rmtree(redis_dir / manifest.appenddirname, ignore_errors=True)
        chosen = "rdb"
        keys = _restore_from(chosen, folder, manifest, layout, timeout, say)
    if expected > 0 and keys == 0:
        raise BackupError(
            f"Redis started empty although the backup holds {expected} keys; previous files are in {aside}"
        )
    return RestoreResult(chosen, keys, expected, aside if moved else None)


def _restore_from(
    chosen: str, folder: Path, manifest: BackupManifest, layout: infra.InfraLayout, timeout: float, say: Say
) -> int:
    """Put the chosen copy in place, start Redis, wait for it to load; how many keys it holds."""
    redis_dir = layout.redis_dir
    shutil.copy2(folder / RDB_NAME, redis_dir / manifest.dbfilename)
    if chosen == "aof":
        shutil.copytree(folder / AOF_DIR, redis_dir / manifest.appenddirname)
    else:
        _rdb_as_aof(folder / RDB_NAME, redis_dir / manifest.appenddirname)
    say(f"restoring from the {'AOF copy' if chosen == 'aof' else 'RDB snapshot'}; starting Redis")
    infra.start_redis(layout)
    client = redis.Redis.from_url(layout.admin_redis_url, socket_timeout=10, socket_connect_timeout=5)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if client.ping() and not int(_info(client).get("loading", 0)):
                    break
            except redis.BusyLoadingError:
                pass
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise BackupError(f"restored Redis did not finish loading within {timeout:.0f}s")
            time.sleep(0.2)
        return int(client.dbsize())
    finally:
        client.close()
