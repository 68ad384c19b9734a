"""The one check every door runs on an uploaded file before anything is stored.

A file is recognised by its bytes (puremagic reads the signature), never by its name: PDF,
PowerPoint and Word (OOXML), PNG, JPEG and MP4 only. HTML and SVG are refused by name in the
message because they carry script. Office files are ZIP archives: each is opened as one and
refused when it would unpack to far more than it weighs (a zip bomb), has too many members,
carries macros, or is not the Office format it claims to be. A name is kept only as its base
name. Each refusal names the file and says why.
"""

import posixpath
import unicodedata
import zipfile
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
MP4 = "video/mp4"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# What each accepted type is called and the name endings that claim it.
ACCEPTED = {
    PDF: ("PDF", (".pdf",)),
    PNG: ("PNG image", (".png",)),
    JPEG: ("JPEG image", (".jpg", ".jpeg")),
    MP4: ("MP4 video", (".mp4", ".m4v")),
    DOCX: ("Word document", (".docx",)),
    PPTX: ("PowerPoint deck", (".pptx",)),
}
ACCEPTED_NAMES = "PDF, PPTX, DOCX, PNG, JPEG or MP4"
# The part that makes an OOXML package a Word document or a deck.
OFFICE_MAIN_PART = {DOCX: "word/document.xml", PPTX: "ppt/presentation.xml"}

# Limits on what an Office file may unpack to.
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_RATIO = 100  # uncompressed / compressed, over the whole archive
ZIP_MAX_UNPACKED_MB = 500

HEAD_BYTES = 8192
NAME_LENGTH = 200


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the base name, safe to store and to send back
    size: int
    content_type: str  # one of ACCEPTED, as detected


def base_name(name: str) -> str:
    """The file's own name without any folders (`../../etc/passwd` -> `passwd`, Windows
    `C:\\x\\deck.pptx` -> `deck.pptx`), control characters dropped, at most 200 characters."""
    name = posixpath.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if name in ("", ".", ".."):
        return "upload"
    if len(name) > NAME_LENGTH:
        stem, dot, ending = name.rpartition(".")
        name = stem[: NAME_LENGTH - len(ending) - 1] + dot + ending if dot else name[:NAME_LENGTH]
    return name


def check_upload(upload) -> CheckedFile:
    """Accept an uploaded file (a Django `File`) or refuse it with a ValidationError that
    names it; reads it, stores nothing."""
    name = base_name(getattr(upload, "name", ""))
    limit = settings.CONTENT_MAX_UPLOAD_MB
    size = upload.size
    if size > limit * 1024 * 1024:
        raise _refused(name, f"it is {_megabytes(size)} MB; the limit is {limit} MB")
    if size == 0:
        raise _refused(name, "it is empty")
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    content_type = _detected(name, head)
    if content_type in OFFICE_MAIN_PART:
        content_type = _office_type(name, upload, size)
    label, endings = ACCEPTED[content_type]
    ending = posixpath.splitext(name)[1].lower()
    if ending not in endings:
        if claimed := _claimed(ending):
            raise _refused(name, f"its name says {claimed} but it is a {label}")
        name += endings[0]  # so that whoever downloads it can open it
    return CheckedFile(name=name, size=size, content_type=content_type)


def _detected(name: str, head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<") and (b"<svg" in text):
        raise _refused(name, "it is an SVG image, which can carry script; upload a PNG or JPEG")
    if text.startswith(b"<") and (b"<html" in text or b"<script" in text or b"<!doctype" in text):
        raise _refused(name, "it is an HTML page, which can carry script")
    if head.startswith(b"PK\x03\x04"):
        return DOCX  # some Office package; `_office_type` says which, or refuses it
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        matches = []
    for match in matches:
        if match.mime_type in ACCEPTED and match.mime_type not in OFFICE_MAIN_PART:
            return match.mime_type
    if any(match.mime_type in ("image/svg+xml", "text/html") for match in matches):
        raise _refused(name, "it is HTML or SVG, which can carry script")
    raise _refused(name, f"it is not a file the library takes ({ACCEPTED_NAMES})")


def _office_type(name: str, upload, size: int) -> str:
    """Open the archive's directory (never its contents) and refuse bombs and impostors."""
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refused(name, "it looks like a ZIP archive but cannot be read as one") from None
    with archive:
        members = archive.infolist()
        if len(members) > ZIP_MAX_MEMBERS:
            raise _refused(name, f"it packs {len(members)} files; at most {ZIP_MAX_MEMBERS}")
        unpacked = sum(member.file_size for member in members)
        if unpacked > ZIP_MAX_UNPACKED_MB * 1024 * 1024:
            raise _refused(
                name, f"it would unpack to {_megabytes(unpacked)} MB; at most {ZIP_MAX_UNPACKED_MB}"
            )
        if unpacked > ZIP_MAX_RATIO * size:
            raise _refused(
                name,
                f"it would unpack to {unpacked // size}× its size, like a zip bomb "
                f"(at most {ZIP_MAX_RATIO}×)",
            )
        names = {member.filename for member in members}
    upload.seek(0)
    found = [kind for kind, part in OFFICE_MAIN_PART.items() if part in names]
    if "[Content_Types].xml" not in names or len(found) != 1:
        raise _refused(name, "it is a ZIP archive, not a Word document or PowerPoint deck")
    if any(posixpath.basename(member).lower() == "vbaproject.bin" for member in names):
        raise _refused(name, "it carries macros; save it as a plain .docx or .pptx")
    return found[0]


def _claimed(ending: str) -> str:
    """What a name ending says a file is: one of ours, or another kind we know of."""
    for label, endings in ACCEPTED.values():
        if ending in endings:
            return f"a {label}"
    others = {".html": "an HTML page", ".htm": "an HTML page", ".svg": "an SVG image"}
    return others.get(ending, "")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _refused(name: str, why: str) -> ValidationError:
    return ValidationError({"file": f"{name}: refused, {why}."})
