"""Calendar uploads from the console and the API: validate, store as a version, preview, activate, compare."""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import Services
from app.store.content_versions import StoredVersion, activate, calendar_of, diff, store_version
from app.store.models import ContentVersion
from app.store.models.base import iso
from content.errors import ContentError, ContentProblem

SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 10
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the user gave it and its bytes."""

    name: str
    data: bytes


def safe_name(raw: str, n: int) -> str:
    """A file name without directories or odd characters, keeping its suffix (and Chinese letters)."""
    base = _UNSAFE.sub("_", Path((raw or "").replace("\\", "/")).name).strip("._")
    return base if base and Path(base).suffix.lower() in SUFFIXES else f"calendar_{n}{Path(base or '').suffix.lower()}"


def upload_problems(uploads: list[Upload]) -> list[ContentProblem]:
    """Problems with the upload itself: none given, too many, too big, unknown type, duplicate names."""
    problems = [ContentProblem("", None, "file", "请选择至少一个日历文件（YAML、CSV 或 Excel）")] if not uploads else []
    if len(uploads) > MAX_FILES:
        problems.append(ContentProblem("", None, "file", f"一次最多上传 {MAX_FILES} 个文件"))
    names = [safe_name(u.name, i) for i, u in enumerate(uploads)]
    for upload, name in zip(uploads, names, strict=True):
        if Path(name).suffix.lower() not in SUFFIXES:
            problems.append(ContentProblem(upload.name or name, None, "file", "只支持 .yaml .yml .csv .xlsx 文件"))
        if len(upload.data) > MAX_FILE_BYTES:
            problems.append(ContentProblem(name, None, "file", f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB"))
        if names.count(name) > 1:
            problems.append(ContentProblem(name, None, "file", "同名文件上传了两次"))
    return problems


def store_upload(session: Session, services: Services, uploads: list[Upload], loaded_by: str,
                 activate_now: bool = False) -> StoredVersion:
    """Validate the files and store them as a version; ContentError (file names as uploaded) when anything is wrong."""
    problems = upload_problems(uploads)
    if problems:
        raise ContentError(problems)
    with tempfile.TemporaryDirectory(prefix="scrm-upload-") as tmp:
        paths = []
        for i, upload in enumerate(uploads):
            path = Path(tmp) / safe_name(upload.name, i)
            path.write_bytes(upload.data)
            paths.append(path)
        try:
            return store_version(session, paths, loaded_by, journey=services.content.journey,
                                 channels=services.content.channels(), activate=activate_now)
        except ContentError as err:
            raise ContentError([ContentProblem(Path(p.path).name if p.path else "", p.row, p.field, p.message)
                                for p in err.problems]) from None


def problem_json(problem: ContentProblem) -> dict:
    """A problem as the API and the page show it."""
    return {"file": problem.path, "row": problem.row, "field": problem.field, "message": problem.message}


def version_json(row: ContentVersion) -> dict:
    """A stored version's summary."""
    return {"id": row.id, "sha256": row.content_hash, "files": sorted(row.files), "loaded_by": row.loaded_by,
            "loaded_at": iso(row.loaded_at), "active": row.active}


def list_versions(session: Session) -> list[ContentVersion]:
    """Every version, newest first."""
    return list(session.execute(select(ContentVersion).order_by(ContentVersion.id.desc())).scalars())


def activate_version(session: Session, version_id: int) -> None:
    """Make the version active (LookupError when there is none)."""
    activate(session, version_id)


def compare_versions(session: Session, services: Services, old_id: int, new_id: int) -> list[str]:
    """What changed from one version to another, step by step (LookupError when either is missing)."""
    old, new = session.get(ContentVersion, old_id), session.get(ContentVersion, new_id)
    if old is None or new is None:
        raise LookupError(f"no content version {old_id if old is None else new_id}")
    journey, channels = services.content.journey, services.content.channels()
    return diff(calendar_of(old, journey, channels), calendar_of(new, journey, channels))
