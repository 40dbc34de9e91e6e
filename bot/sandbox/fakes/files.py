"""The files a fake platform holds: uploaded by the bot, sent by a person, or only referenced by URL."""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import struct
from dataclasses import dataclass
from typing import Any

_JPEG_FRAME_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


@dataclass
class StoredFile:
    """A file the fake holds: uploaded by the bot, sent by a user, or only referenced by URL."""

    file_id: str
    file_unique_id: str
    kind: str  # photo | document
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None  # sent "by URL": the fake does not fetch it
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int:
        """The size in bytes (0 for a file known only by URL)."""
        return len(self.data) if self.data is not None else 0

    @property
    def file_path(self) -> str:
        """Where Telegram would serve it (photos re-encoded as JPEG, documents keep their suffix)."""
        if self.kind == "photo":
            return f"photos/{self.file_unique_id}.jpg"
        suffix = ""
        if self.file_name and "." in self.file_name:
            suffix = "." + self.file_name.rsplit(".", 1)[1]
        elif self.mime_type:
            suffix = mimetypes.guess_extension(self.mime_type) or ""
        return f"documents/{self.file_unique_id}{suffix}"

    def photo_sizes(self) -> list[dict[str, Any]]:
        """The PhotoSize list of a message carrying this photo (one size: the fake does not scale)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.file_size,
            }
        ]


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG (enough for PhotoSize), else (0, 0)."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return width, height
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
    except struct.error:
        pass
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from a JPEG's first frame header, else (0, 0)."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in _JPEG_FRAME_MARKERS:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return 0, 0


class FileStore:
    """The files of one fake, by file_id, with Telegram-shaped ids."""

    def __init__(self) -> None:
        """An empty store."""
        self.files: dict[str, StoredFile] = {}
        self._seq = itertools.count(1)

    def get(self, file_id: str) -> StoredFile | None:
        """A stored file by file_id."""
        return self.files.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        """The stored file with bytes served at ``path``, if any."""
        for stored in self.files.values():
            if stored.file_path == path and stored.data is not None:
                return stored
        return None

    def store(
        self,
        kind: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        """Keep a file (a photo's size read from its bytes) under a new file_id."""
        n = next(self._seq)
        unique = f"AQAD{n:06d}{secrets.token_hex(3)}"
        prefix = "AgAC" if kind == "photo" else "BQAC"
        width, height = image_size(data) if (kind == "photo" and data) else (0, 0)
        file_id = f"{prefix}{unique}{secrets.token_hex(8)}"
        described = {"file_name": file_name, "mime_type": mime_type, "url": url}
        stored = StoredFile(file_id, unique, kind, data, width=width or 1, height=height or 1, **described)
        self.files[stored.file_id] = stored
        return stored
