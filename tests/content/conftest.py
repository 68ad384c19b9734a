"""The library's tests: version files stored in a temporary folder, and small real files
(a PDF, a PNG, a Word document and a deck) built in the test, never read from disk."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.content import actions
from accord.content.models import Asset

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def office_bytes(main_part: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document>" + "text " * 50 + "</document>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture(autouse=True)
def content_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "content": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


@pytest.fixture
def content_team(cast):
    """A content team: nora manages it, cole writes for it."""
    from accord.people.models import Team
    from tests.factories import create_person

    team = Team.objects.create(name="Content", kind=Team.Kind.CONTENT)
    cast["nora"] = create_person("nora", "manager", team)
    cast["cole"] = create_person("cole", "member", team)
    return team


@pytest.fixture
def make_asset(cast):
    def make(
        owner="mike",
        title="Acme case study",
        status=Asset.Status.DRAFT,
        published_on=date(2026, 3, 2),
        **details,
    ):
        details.setdefault("kind", Asset.Kind.CASE_STUDY)
        details.setdefault("stages", ["mql", "sql"])
        details.setdefault("personas", ["champion"])
        asset = actions.create_asset(
            cast["ada"],
            title=title,
            owner=cast[owner] if owner else None,
            version={"url": "https://files.example/case-study.pdf", "note": "first"},
            **details,
        )
        if status == Asset.Status.PUBLISHED:
            asset = actions.publish(cast["ada"], asset, today=published_on)
        return asset

    return make
