"""Legacy Word 97 .doc and WPS .wps files, through LibreOffice.

When ``soffice`` (or ``libreoffice``) is on PATH the file is converted headless
to .docx in a temporary folder and read by the .docx reader, automatic
numbering included. Conversions run one at a time (a lock within the process
and a lock file across processes), each with a time limit, and with a
LibreOffice profile of govsearch's own so that a desktop LibreOffice that is
open does not swallow the request.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from ..errors import DocumentError
from ..schema import SourceText
from . import register

logger = logging.getLogger(__name__)

TIMEOUT_S = 60.0
INSTALL_HINT = "legacy Word/WPS file: install LibreOffice (Debian package libreoffice-writer-nogui) to read it"

_lock = threading.Lock()


def soffice_path() -> str | None:
    """The LibreOffice executable on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile_dir() -> Path:
    base = Path(tempfile.gettempdir()) / f"govsearch-libreoffice-{os.getuid() if hasattr(os, 'getuid') else 'u'}"
    base.mkdir(mode=0o700, exist_ok=True)
    return base


class _FileLock:
    """An exclusive lock on a file, held across processes (POSIX; a no-op elsewhere)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> "_FileLock":
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except ImportError:
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def convert_to_docx(path: Path, timeout: float = TIMEOUT_S) -> bytes:
    """Convert a .doc/.wps file with LibreOffice and return the .docx bytes."""
    exe = soffice_path()
    if exe is None:
        raise DocumentError(path, INSTALL_HINT)
    profile = _profile_dir()
    with _lock, _FileLock(profile / "convert.lock"), tempfile.TemporaryDirectory(prefix="govsearch-doc-") as tmp:
        tmpdir = Path(tmp)
        # a plain ASCII name: LibreOffice's command line and Chinese names or spaces do not always agree
        src = tmpdir / ("input" + path.suffix.lower())
        shutil.copyfile(path, src)
        out = tmpdir / "out"
        cmd = [
            exe, f"-env:UserInstallation={(profile / 'profile').as_uri()}",
            "--headless", "--norestore", "--nolockcheck", "--nodefault",
            "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(src),
        ]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=tmp,
        )
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, AttributeError):
                proc.kill()
            proc.communicate()
            raise DocumentError(path, f"LibreOffice did not convert the file within {timeout:.0f} s") from None
        result = out / "input.docx"
        if proc.returncode != 0 or not result.exists() or result.stat().st_size == 0:
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
            raise DocumentError(
                path,
                "LibreOffice could not convert the file (damaged, password-protected or not a Word/WPS document)"
                + (f": {detail[0]}" if detail else ""),
            )
        return result.read_bytes()


@register(".doc", ".wps")
def read_legacy(path: Path) -> SourceText:
    """Read a .doc or .wps file by converting it to .docx with LibreOffice."""
    from .docx import read_docx

    if path.stat().st_size == 0:
        raise DocumentError(path, "empty file")
    data = convert_to_docx(path)
    with tempfile.TemporaryDirectory(prefix="govsearch-docx-") as tmp:
        converted = Path(tmp) / "converted.docx"
        converted.write_bytes(data)
        try:
            src = read_docx(converted)
        except DocumentError as e:
            raise DocumentError(path, f"converted by LibreOffice, but {e.reason}") from None
    return SourceText(src.text, path.suffix.lower().lstrip("."), None, ())
