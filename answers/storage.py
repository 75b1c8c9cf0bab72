"""Uploaded files on disk: random names under the upload folder, never the user's filename."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path

#: Files kept between a bank import's or a learn's preview and its confirmation, in this
#: folder of the upload folder: a customer's completed questionnaire or a bank file, useless
#: (and not to be kept) once the preview's signed token expired, PREVIEW_MAX_AGE seconds on.
#: (Releases before 2026-11-30 kept them in the instance folder's LEGACY_PREVIEW_FOLDER.)
PREVIEW_FOLDER = "previews"
LEGACY_PREVIEW_FOLDER = "bank-imports"
PREVIEW_MAX_AGE = 3600


class StoredFileMissing(Exception):
    """The stored original of a questionnaire is gone (purged or deleted)."""


def store(data: bytes, folder: str | os.PathLike[str]) -> tuple[str, str]:
    """Write `data` under a new random name. Returns (stored_name, sha256)."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = secrets.token_hex(16)
    path = root / name
    with open(path, "xb") as out:  # x: never overwrite
        out.write(data)
    path.chmod(0o600)
    return name, hashlib.sha256(data).hexdigest()


def _path(stored_name: str, folder: str | os.PathLike[str]) -> Path:
    if not stored_name.isalnum():  # our names are hex; anything else is not ours
        raise StoredFileMissing(f"invalid stored name {stored_name!r}")
    return Path(folder) / stored_name


def read(stored_name: str, folder: str | os.PathLike[str]) -> bytes:
    try:
        return _path(stored_name, folder).read_bytes()
    except FileNotFoundError as exc:
        raise StoredFileMissing("the original file is no longer stored (retention period over?)") from exc


def delete(stored_name: str, folder: str | os.PathLike[str]) -> bool:
    try:
        _path(stored_name, folder).unlink()
    except FileNotFoundError:
        return False
    return True


def exists(stored_name: str, folder: str | os.PathLike[str]) -> bool:
    try:
        return _path(stored_name, folder).is_file()
    except StoredFileMissing:
        return False


def names(folder: str | os.PathLike[str]) -> list[str]:
    """The stored names in the upload folder (ours are hex; anything else is ignored)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_file() and p.name.isalnum())


def preview_folder(upload_folder: str | os.PathLike[str]) -> Path:
    """Where previews keep their files (created, private to the server's user)."""
    folder = Path(upload_folder) / PREVIEW_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def expired_previews(*folders: str | os.PathLike[str], now: float | None = None) -> list[Path]:
    """Files of ``folders`` (preview folders) older than ``PREVIEW_MAX_AGE``: nobody can
    confirm their previews any more."""
    cutoff = (time.time() if now is None else now) - PREVIEW_MAX_AGE
    found: list[Path] = []
    for folder in map(Path, folders):
        if folder.is_dir():
            found += sorted(
                p for p in folder.iterdir() if p.is_file() and p.name.isalnum() and p.stat().st_mtime < cutoff
            )
    return found


def delete_expired_previews(*folders: str | os.PathLike[str], now: float | None = None) -> int:
    """Delete ``expired_previews``; returns how many went."""
    gone = expired_previews(*folders, now=now)
    for path in gone:
        path.unlink(missing_ok=True)
    return len(gone)
