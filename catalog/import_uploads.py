"""Uploaded catalog files waiting between the preview and the import (or for a worker).

Kept in a private temporary folder under an unguessable token; the token is all a form or a
job carries. One machine's disk: the web process and the Celery worker share it (the scale path
in ARCHITECTURE.md keeps one worker host; several would need shared storage).
"""

import re
import secrets
import tempfile
from pathlib import Path

UPLOAD_DIR = Path(tempfile.gettempdir()) / "emporium-catalog-imports"
TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx)$")


def store_upload(data: bytes, filename: str) -> str:
    """Keep the file; return its token."""
    extension = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    UPLOAD_DIR.mkdir(mode=0o700, exist_ok=True)
    token = f"{secrets.token_hex(16)}.{extension}"
    (UPLOAD_DIR / token).write_bytes(data)
    return token


def upload_path(token: str) -> Path:
    """Where the file of `token` is (it may have expired); ValueError for a forged token."""
    if not TOKEN.match(token or ""):
        raise ValueError("Not an upload token.")
    return UPLOAD_DIR / token
