"""LibreOffice, headless, for the tests proving an export opens in a real office program.

Each test skips, with the reason, where the program (or its Writer part) is not installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str:
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    if not exe:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc)")
    return exe


def convert(exe: str, files: list[Path], target: str, tmp_path: Path) -> Path:
    """Convert ``files`` with ``--convert-to target`` in one LibreOffice run (a private
    profile under ``tmp_path``); returns the folder holding the converted files, named as
    the originals with the target's extension. A file LibreOffice could not load has none."""
    out_dir = tmp_path / "converted"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", target, "--outdir", str(out_dir)]
        + [str(f) for f in files],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out_dir
