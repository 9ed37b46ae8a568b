"""Session archive (会话内容存档): read, decrypt and durably store the chats between staff and prospects."""
from app.wecom.archive.reader import ArchiveError, ArchiveReader, ChatMessage, RawChat, UnknownKeyVersion

__all__ = ["ArchiveError", "ArchiveReader", "ChatMessage", "RawChat", "UnknownKeyVersion"]
