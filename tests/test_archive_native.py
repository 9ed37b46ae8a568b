"""The native Finance SDK reader: clear errors without the library, declared ctypes signatures, the call flow."""
from __future__ import annotations

import base64
import ctypes
import ctypes.util
import json
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.wecom.archive import native_reader as native
from app.wecom.archive.build import build_reader
from app.wecom.archive.keys import ArchiveKeys
from app.wecom.archive.native_reader import NativeArchiveReader, NativeSdkUnavailable, Slice, load_library
from sandbox import SandboxConfig, SandboxServer
from tests.settings import make_settings

SLICE_P = ctypes.POINTER(Slice)


@pytest.mark.parametrize(("path", "message"), [
    (None, "ARCHIVE_SDK_PATH is not set"),
    ("/nonexistent/libWeWorkFinanceSdk_C.so", "does not exist"),
])
def test_missing_library_is_a_clear_error(path, message):
    with pytest.raises(NativeSdkUnavailable, match=message):
        load_library(path)


def test_directory_without_the_library_and_an_invalid_file(tmp_path):
    with pytest.raises(NativeSdkUnavailable, match="libWeWorkFinanceSdk_C.so does not exist"):
        load_library(str(tmp_path))
    bogus = tmp_path / "libWeWorkFinanceSdk_C.so"
    bogus.write_bytes(b"not an ELF file")
    with pytest.raises(NativeSdkUnavailable, match="cannot load"):
        load_library(str(tmp_path))


def test_a_library_that_is_not_the_sdk_is_rejected():
    libc = ctypes.util.find_library("c")
    assert libc
    with pytest.raises(NativeSdkUnavailable, match="symbol NewSdk not found"):
        native.declare_signatures(ctypes.CDLL(libc))


def test_native_source_without_the_library_fails_clearly():
    settings = make_settings("sqlite://", None, archive_source="native", archive_sdk_path="/opt/missing/sdk.so")
    with pytest.raises(NativeSdkUnavailable, match="/opt/missing/sdk.so does not exist"):
        build_reader(settings)


def test_ctypes_signatures_are_declared():
    lib = SimpleNamespace(**{name: SimpleNamespace() for name in [*native.SIGNATURES, *native.OPTIONAL]})
    native.declare_signatures(lib)
    for name, (restype, argtypes) in {**native.SIGNATURES, **native.OPTIONAL}.items():
        assert getattr(lib, name).restype == restype, name
        assert getattr(lib, name).argtypes == argtypes, name
    assert lib.GetChatData.argtypes == [ctypes.c_void_p, ctypes.c_ulonglong, ctypes.c_uint, ctypes.c_char_p,
                                        ctypes.c_char_p, ctypes.c_int, SLICE_P]
    assert lib.DecryptData.argtypes == [ctypes.c_char_p, ctypes.c_char_p, SLICE_P]
    assert lib.Init.argtypes == [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    assert lib.NewSdk.restype == ctypes.c_void_p
    assert lib.NewSlice.restype == SLICE_P


class FakeSdk:
    """The SDK's C functions over real ctypes slices, answering from a sandbox (decrypting its AES-GCM format)."""

    def __init__(self, state) -> None:
        self.state, self.calls, self._buffers = state, [], []

    def NewSdk(self):
        return 1

    def Init(self, sdk, corpid, secret):
        self.calls.append(("Init", corpid, secret))
        return 0 if secret == self.state.config.archive_secret.encode() else 10000

    def DestroySdk(self, sdk):
        self.calls.append(("DestroySdk",))

    def NewSlice(self):
        return ctypes.pointer(Slice())

    def FreeSlice(self, slice_p):
        self.calls.append(("FreeSlice",))

    def _fill(self, slice_p, data: bytes) -> None:
        buf = ctypes.create_string_buffer(data, len(data))
        self._buffers.append(buf)
        slice_p.contents.buf = ctypes.cast(buf, ctypes.c_char_p)
        slice_p.contents.len = len(data)

    def GetContentFromSlice(self, slice_p):
        return ctypes.cast(slice_p.contents.buf, ctypes.c_void_p).value

    def GetSliceLen(self, slice_p):
        return slice_p.contents.len

    def GetChatData(self, sdk, seq, limit, proxy, passwd, timeout, slice_p):
        self.calls.append(("GetChatData", seq, limit, proxy, timeout))
        answer = self.state.archive.get_chat_data(seq, limit, self.state.config.archive_secret)
        self._fill(slice_p, json.dumps(answer).encode())
        return 0

    def DecryptData(self, random_key, encrypt_msg, slice_p):
        sealed = base64.b64decode(encrypt_msg)
        self._fill(slice_p, AESGCM(random_key).decrypt(sealed[:12], sealed[12:], None))
        return 0


def test_reader_call_flow_over_the_sdk_functions(monkeypatch):
    with SandboxServer.start(SandboxConfig()) as sb:
        ext = sb.state.contacts.add_prospect("zhangsan")["external_userid"]
        sb.state.contacts.record_message(ext, "zhangsan", "你们的价格是多少？")
        fake = FakeSdk(sb.state)
        monkeypatch.setattr(native, "load_library", lambda path: fake)
        keys = ArchiveKeys.from_pems(sb.state.archive.private_keys())
        reader = NativeArchiveReader("/opt/sdk", sb.state.config.corp_id, sb.state.config.archive_secret, keys,
                                     proxy="http://proxy:3128", timeout=7)
        raws = reader.fetch(0, 100)
        message = reader.decrypt(raws[0])
        reader.close()
        with pytest.raises(Exception, match="Init failed"):
            NativeArchiveReader("/opt/sdk", sb.state.config.corp_id, "wrong", keys)
    assert (message.sender, message.tolist, message.text) == (ext, ("zhangsan",), "你们的价格是多少？")
    assert ("GetChatData", 0, 100, b"http://proxy:3128", 7) in fake.calls
    assert fake.calls.count(("FreeSlice",)) == 2
    assert ("DestroySdk",) in fake.calls
    assert "PRIVATE" not in repr(reader)
