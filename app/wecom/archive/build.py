"""Build the archive reader ARCHIVE_SOURCE names: the sandbox's over HTTP or WeCom's native Finance SDK."""
from __future__ import annotations

from app.settings import Settings
from app.wecom.archive.keys import ArchiveKeys
from app.wecom.archive.native_reader import NativeArchiveReader
from app.wecom.archive.reader import ArchiveError, ArchiveReader
from app.wecom.archive.sandbox_reader import SandboxArchiveReader, sandbox_private_keys, sandbox_root


def build_reader(settings: Settings) -> ArchiveReader:
    """Build the reader named by ARCHIVE_SOURCE: the sandbox over HTTP or the native Finance SDK."""
    keys = ArchiveKeys.from_setting(settings.archive_private_keys)
    if settings.archive_source == "sandbox":
        root = sandbox_root(settings.wecom_api_base)
        if not settings.archive_private_keys:
            keys = sandbox_private_keys(root, settings.wecom_timeout)
        return SandboxArchiveReader(root, settings.archive_secret, keys, timeout=settings.wecom_timeout)
    if settings.archive_source == "native":
        return NativeArchiveReader(settings.archive_sdk_path, settings.wecom_corp_id, settings.archive_secret, keys,
                                   proxy=settings.archive_proxy, proxy_password=settings.archive_proxy_password)
    raise ArchiveError(f"ARCHIVE_SOURCE must be 'sandbox' or 'native', got {settings.archive_source!r}")
