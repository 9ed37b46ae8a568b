"""Read the archive through WeCom's native Finance SDK (libWeWorkFinanceSdk_C.so) loaded with ctypes."""
from __future__ import annotations

import ctypes
import json
import threading
from pathlib import Path
from typing import Any

from app.wecom.archive.keys import ArchiveKeys
from app.wecom.archive.reader import ArchiveError, ChatMessage, RawChat

MAX_LIMIT = 1000
LIBRARY = "libWeWorkFinanceSdk_C.so"


class NativeSdkUnavailable(ArchiveError):
    """The Finance SDK library is missing, unreadable or not the Finance SDK."""


class Slice(ctypes.Structure):
    """Slice_t from WeWorkFinanceSdk_C.h: {char* buf; int len;}."""

    _fields_ = [("buf", ctypes.c_char_p), ("len", ctypes.c_int)]


SLICE_P = ctypes.POINTER(Slice)

# name: (restype, argtypes), transcribed from WeWorkFinanceSdk_C.h.
SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "NewSdk": (ctypes.c_void_p, []),
    "Init": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]),
    "DestroySdk": (None, [ctypes.c_void_p]),
    "NewSlice": (SLICE_P, []),
    "FreeSlice": (None, [SLICE_P]),
    "GetContentFromSlice": (ctypes.c_void_p, [SLICE_P]),
    "GetChatData": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_ulonglong, ctypes.c_uint, ctypes.c_char_p,
                                   ctypes.c_char_p, ctypes.c_int, SLICE_P]),
    "DecryptData": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p, SLICE_P]),
}
OPTIONAL = {"GetSliceLen": (ctypes.c_int, [SLICE_P])}


def declare_signatures(lib: Any) -> Any:
    """Set argtypes and restype on every SDK function; raise NativeSdkUnavailable when one is missing."""
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            func = getattr(lib, name)
        except AttributeError:
            raise NativeSdkUnavailable(
                f"{LIBRARY}: symbol {name} not found; is ARCHIVE_SDK_PATH WeCom's Finance SDK?") from None
        func.restype, func.argtypes = restype, argtypes
    for name, (restype, argtypes) in OPTIONAL.items():
        func = getattr(lib, name, None)
        if func is not None:
            func.restype, func.argtypes = restype, argtypes
    return lib


def load_library(path: str | None) -> ctypes.CDLL:
    """Load the SDK from ARCHIVE_SDK_PATH (the .so file or its directory) with its signatures declared."""
    if not path:
        raise NativeSdkUnavailable(
            "ARCHIVE_SDK_PATH is not set: point it at libWeWorkFinanceSdk_C.so (see docs/archive.md)")
    target = Path(path)
    if target.is_dir():
        target = target / LIBRARY
    if not target.is_file():
        raise NativeSdkUnavailable(f"ARCHIVE_SDK_PATH: {target} does not exist; download the Linux Finance SDK "
                                   "from the admin console (see docs/archive.md)")
    try:
        lib = ctypes.CDLL(str(target))
    except OSError as exc:
        raise NativeSdkUnavailable(f"ARCHIVE_SDK_PATH: cannot load {target}: {exc}") from None
    return declare_signatures(lib)


class NativeArchiveReader:
    """ArchiveReader over the Finance SDK: one SDK instance, initialised once and reused (re-init is rate-limited)."""

    def __init__(self, sdk_path: str | None, corp_id: str, secret: str, keys: ArchiveKeys, proxy: str = "",
                 proxy_password: str = "", timeout: int = 10) -> None:
        self._lib = load_library(sdk_path)
        self.keys = keys
        self.proxy, self._proxy_password, self.timeout = proxy, proxy_password, timeout
        self._lock = threading.Lock()
        self._sdk = self._lib.NewSdk()
        if not self._sdk:
            raise ArchiveError("NewSdk returned NULL")
        code = self._lib.Init(self._sdk, corp_id.encode(), secret.encode())
        if code != 0:
            self._lib.DestroySdk(self._sdk)
            self._sdk = None
            raise ArchiveError(f"Finance SDK Init failed with {code}: check the corp id and the archive secret")

    def __repr__(self) -> str:
        return f"NativeArchiveReader(keys={self.keys!r})"

    def _slice_text(self, slice_p: Any) -> bytes:
        """Return the slice's bytes (binary-safe when the SDK has GetSliceLen)."""
        pointer = self._lib.GetContentFromSlice(slice_p)
        if not pointer:
            return b""
        get_len = getattr(self._lib, "GetSliceLen", None)
        return ctypes.string_at(pointer, get_len(slice_p)) if get_len else ctypes.string_at(pointer)

    def fetch(self, seq: int, limit: int) -> list[RawChat]:
        """Call GetChatData(sdk, seq, limit, proxy, passwd, timeout, slice) and parse its JSON."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ArchiveError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        with self._lock:
            slice_p = self._lib.NewSlice()
            try:
                code = self._lib.GetChatData(self._sdk, seq, limit, self.proxy.encode(),
                                             self._proxy_password.encode(), self.timeout, slice_p)
                if code != 0:
                    raise ArchiveError(f"GetChatData failed with SDK error {code}")
                text = self._slice_text(slice_p)
            finally:
                self._lib.FreeSlice(slice_p)
        try:
            answer = json.loads(text)
        except ValueError as exc:
            raise ArchiveError("GetChatData returned something that is not JSON") from exc
        if answer.get("errcode") != 0:
            raise ArchiveError(f"GetChatData answered errcode {answer.get('errcode')}: {answer.get('errmsg')}")
        return [RawChat.from_json(item) for item in answer.get("chatdata") or []]

    def decrypt(self, raw: RawChat) -> ChatMessage:
        """RSA-decrypt the random key, then DecryptData(random_key, encrypt_chat_msg, slice)."""
        random_key = self.keys.random_key(raw)
        slice_p = self._lib.NewSlice()
        try:
            code = self._lib.DecryptData(random_key, raw.encrypt_chat_msg.encode(), slice_p)
            if code != 0:
                raise ArchiveError(f"DecryptData failed with SDK error {code} at seq {raw.seq}")
            plain = self._slice_text(slice_p)
        finally:
            self._lib.FreeSlice(slice_p)
        return ChatMessage.from_plain(raw.seq, plain)

    def close(self) -> None:
        """Destroy the SDK instance."""
        with self._lock:
            if self._sdk:
                self._lib.DestroySdk(self._sdk)
                self._sdk = None
