"""Receiving an import file: streamed straight into the imports folder, refused past the
size limit while it arrives.

Django's default handlers would first keep the whole upload in a temporary file, and the
size could only be checked once it was all there (and then copied again). This handler
writes each chunk where the import will read it, and stops keeping a file the moment it
grows past `IMPORT_MAX_MEGABYTES`: the rest of the request is read and dropped, so the
browser still gets the form back with the reason.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


def upload_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def too_large_message() -> str:
    return f"The file is larger than {settings.IMPORT_MAX_MEGABYTES} MB."


def new_upload_path() -> Path:
    return upload_dir() / f"{uuid.uuid4().hex}.csv"


class StoredUpload(UploadedFile):
    """An uploaded file already in its place in the imports folder (`stored_path`)."""

    def __init__(self, path: Path, name, content_type, size, charset, content_type_extra=None):
        super().__init__(open(path, "rb"), name, content_type, size, charset, content_type_extra)  # noqa: SIM115
        self.stored_path = path

    def temporary_file_path(self) -> str:
        return str(self.stored_path)

    def discard(self) -> None:
        """Close and delete it: the upload was refused."""
        self.close()
        self.stored_path.unlink(missing_ok=True)


class ImportUploadHandler(FileUploadHandler):
    """Streams each uploaded file into the imports folder; `refused` says why one was not,
    `stored` lists the files it kept."""

    def __init__(self, request=None):
        super().__init__(request)
        self.refused = ""
        self.stored: list[Path] = []
        self._path: Path | None = None
        self._file = None
        self._size = 0

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self._path = new_upload_path()
        self._file = open(self._path, "xb")  # noqa: SIM115 (closed in file_complete or _drop)
        self._size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self._size += len(raw_data)
        if self._size > settings.IMPORT_MAX_MEGABYTES * 1024 * 1024:
            self._drop()
            self.refused = too_large_message()
            raise SkipFile()  # Django reads the rest of this file and keeps none of it
        self._file.write(raw_data)
        return None

    def file_complete(self, file_size: int):
        if self._file is None:
            return None
        self._file.close()
        self._file = None
        path, self._path = self._path, None
        self.stored.append(path)
        return StoredUpload(
            path,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )

    def upload_interrupted(self):
        self._drop()  # the browser went away mid-file

    def _drop(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
