"""LibreOffice for the tests: proving an exported file opens in a real office program
(``convert``), and real password-protected Office files made at test time (``Encrypter``).
Tests skip, with the reason, where the program is not installed.

Excel and Word store a password-protected xlsx/docx as an OLE2 compound file holding an
`EncryptionInfo` and an `EncryptedPackage` stream. LibreOffice 7.4 writes one only when a
Basic macro stores the document with `EncryptionData` (OOXPassword and CryptoType
"Standard"; `--convert-to` has no password option there, and "Agile" fails to write),
so this module puts that macro into a private LibreOffice profile and runs it headless.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

#: Seconds one LibreOffice run may take (the first run also creates the profile).
TIMEOUT = 180

FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".docx": "MS Word 2007 XML"}

_MODULE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub Encrypt(src As String, dst As String, filter As String, pw As String, log As String)
  On Error GoTo Failed
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = &quot;Hidden&quot; : load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), &quot;_blank&quot;, 0, load())
  Dim encryption(1) As New com.sun.star.beans.NamedValue
  encryption(0).Name = &quot;OOXPassword&quot; : encryption(0).Value = pw
  encryption(1).Name = &quot;CryptoType&quot; : encryption(1).Value = &quot;Standard&quot;
  Dim store(1) As New com.sun.star.beans.PropertyValue
  store(0).Name = &quot;FilterName&quot; : store(0).Value = filter
  store(1).Name = &quot;EncryptionData&quot;
  store(1).Value = CreateUnoValue(&quot;[]com.sun.star.beans.NamedValue&quot;, encryption())
  doc.storeToURL(ConvertToURL(dst), store())
  doc.close(True)
  StarDesktop.terminate()
  Exit Sub
Failed:
  Open log For Output As #1
  Print #1, Error$
  Close #1
  StarDesktop.terminate()
End Sub
</script:module>
"""


class LibreOfficeFailed(Exception):
    """LibreOffice is installed but did not write the encrypted file; the message says why."""


def soffice() -> str | None:
    """The LibreOffice binary, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_or_skip() -> str:
    exe = soffice()
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
        timeout=TIMEOUT,
    )
    return out_dir


def _run(args: list[str]) -> str:
    """Run LibreOffice in its own process group, so a hung run is killed whole."""
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    ) as process:
        try:
            output, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise LibreOfficeFailed(f"LibreOffice did not finish within {TIMEOUT} s: {' '.join(args)}") from None
    return output


class Encrypter:
    """Writes password-protected copies of xlsx/docx files through one private profile."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir = binary, workdir
        self.profile = workdir / "profile"
        self._ready = False

    def _command(self, *extra: str) -> list[str]:
        return [self.binary, "--headless", "--norestore", f"-env:UserInstallation={self.profile.as_uri()}", *extra]

    def _prepare(self) -> None:
        module = self.profile / "user" / "basic" / "Standard" / "Module1.xba"
        if not module.exists():  # the first run creates the profile with its empty Module1
            output = _run(self._command("--terminate_after_init"))
            if not module.exists():
                raise LibreOfficeFailed(f"LibreOffice made no macro library in {self.profile}: {output.strip()}")
        module.write_text(_MODULE, encoding="utf-8")
        self._ready = True

    def encrypt(self, data: bytes, suffix: str, password: str = "secret") -> bytes:
        """`data` (an xlsx or docx, by `suffix`) stored again with an opening password."""
        if not self._ready:
            self._prepare()
        source, target = self.workdir / f"plain{suffix}", self.workdir / f"locked{suffix}"
        log = self.workdir / "macro-error.txt"
        for leftover in (target, log):
            leftover.unlink(missing_ok=True)
        source.write_bytes(data)
        call = f'macro:///Standard.Module1.Encrypt("{source}","{target}","{FILTERS[suffix]}","{password}","{log}")'
        output = _run(self._command(call))
        if not target.exists():
            reason = log.read_text(errors="replace").strip() if log.exists() else output.strip()
            raise LibreOfficeFailed(f"LibreOffice wrote no {target.name}: {reason}")
        return target.read_bytes()
