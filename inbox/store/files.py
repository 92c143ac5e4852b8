"""Attachment bytes in MongoDB GridFS, so one backup covers messages and their files."""

from __future__ import annotations

from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile

from inbox.domain.errors import NotFound
from inbox.domain.ids import new_id
from inbox.store.mongo import Database


class GridFsFileStore:
    def __init__(self, db: Database) -> None:
        self._bucket = AsyncGridFSBucket(db, bucket_name="files")

    async def put(self, data: bytes, *, name: str | None, mime_type: str | None) -> str:
        file_id = new_id()
        await self._bucket.upload_from_stream_with_id(
            file_id, name or file_id, data, metadata={"mime_type": mime_type, "size": len(data)}
        )
        return file_id

    async def get(self, file_id: str) -> tuple[bytes, dict[str, Any]]:
        try:
            stream = await self._bucket.open_download_stream(file_id)
        except NoFile as e:
            raise NotFound(f"file {file_id} not found", code="file_not_found") from e
        data = await stream.read()
        meta = dict(stream.metadata or {})
        meta["name"] = stream.filename
        return data, meta
