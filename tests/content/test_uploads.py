"""Uploads are judged by their bytes, one check behind every door; a refusal names the file,
says why, and stores nothing."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from accord.content import actions, uploads
from accord.content.models import AssetVersion
from accord.people.models import AuditLog

from .conftest import PDF_BYTES, PNG_BYTES, office_bytes, upload


def refusal(file) -> str:
    with pytest.raises(ValidationError) as caught:
        uploads.check_upload(file)
    return " ".join(caught.value.messages)


def test_a_pdf_a_png_a_word_document_and_a_deck_are_recognised_by_their_bytes():
    assert uploads.check_upload(upload("brief.pdf", PDF_BYTES)).content_type == uploads.PDF
    assert uploads.check_upload(upload("logo.png", PNG_BYTES)).content_type == uploads.PNG
    word = uploads.check_upload(upload("terms.docx", office_bytes("word/document.xml")))
    assert word.content_type == uploads.DOCX
    deck = uploads.check_upload(upload("pitch.pptx", office_bytes("ppt/presentation.xml")))
    assert deck.content_type == uploads.PPTX


def test_a_file_without_an_ending_is_named_after_what_it_is():
    assert uploads.check_upload(upload("brief", PDF_BYTES)).name == "brief.pdf"


def test_html_renamed_pdf_is_refused_as_html():
    page = b"<!DOCTYPE html><html><body><script>steal()</script></body></html>"
    assert refusal(upload("pricing.pdf", page)) == (
        "pricing.pdf: refused, it is an HTML page, which can carry script."
    )


def test_an_svg_with_a_script_is_refused():
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'
    assert "logo.svg: refused, it is an SVG image, which can carry script" in refusal(
        upload("logo.svg", svg)
    )


def test_a_pdf_named_as_an_image_is_refused_for_the_mismatch():
    assert refusal(upload("photo.png", PDF_BYTES)) == (
        "photo.png: refused, its name says a PNG image but it is a PDF."
    )


def test_anything_else_is_refused_naming_what_the_library_takes():
    assert refusal(upload("tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 60)) == (
        "tool.exe: refused, it is not a file the library takes (PDF, PPTX, DOCX, PNG, JPEG or MP4)."
    )


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (30 * 1024 * 1024))
    message = refusal(upload("contract.docx", buffer.getvalue()))
    assert message.startswith("contract.docx: refused, it would unpack to")
    assert "like a zip bomb" in message


def test_an_archive_with_too_many_members_is_refused():
    extra = {f"ppt/slides/s{i}.xml": b"" for i in range(uploads.ZIP_MAX_MEMBERS)}
    message = refusal(upload("deck.pptx", office_bytes("ppt/presentation.xml", extra)))
    assert message.startswith("deck.pptx: refused, it packs 2002 files; at most 2000")


def test_a_plain_zip_named_docx_is_refused_as_not_the_office_format_it_claims():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.js", "alert(1)")
    assert refusal(upload("proposal.docx", buffer.getvalue())) == (
        "proposal.docx: refused, it is a ZIP archive, not a Word document or PowerPoint deck."
    )


def test_a_word_document_named_pptx_is_refused_for_the_mismatch():
    message = refusal(upload("deck.pptx", office_bytes("word/document.xml")))
    assert (
        message == "deck.pptx: refused, its name says a PowerPoint deck but it is a Word document."
    )


def test_an_office_file_with_macros_is_refused():
    macro = office_bytes("word/document.xml", {"word/vbaProject.bin": b"\x00" * 10})
    assert "it carries macros" in refusal(upload("offer.docx", macro))


def test_a_file_over_the_limit_is_refused_with_the_limit(settings):
    settings.CONTENT_MAX_UPLOAD_MB = 1
    big = PDF_BYTES + b"0" * (2 * 1024 * 1024 - len(PDF_BYTES))
    assert refusal(upload("big.pdf", big)) == "big.pdf: refused, it is 2 MB; the limit is 1 MB."


def test_a_name_with_path_parts_is_reduced_to_its_base_name():
    assert uploads.base_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert uploads.base_name("C:\\Users\\x\\deck.pptx") == "deck.pptx"
    assert uploads.base_name("..") == "upload"


@pytest.mark.django_db
def test_a_path_traversal_name_is_stored_under_its_base_name_inside_the_folder(
    cast, content_folder
):
    asset = actions.create_asset(
        cast["ada"], title="Brief", kind="one_pager", owner=cast["mike"],
        version={"file": upload("../../../etc/brief.pdf", PDF_BYTES)},
    )  # fmt: skip
    version = asset.versions.get()
    assert version.file_name == "brief.pdf"
    stored = content_folder / version.file.name
    assert stored.read_bytes() == PDF_BYTES
    assert stored.resolve().is_relative_to(content_folder.resolve())


@pytest.mark.django_db
def test_a_refused_upload_through_the_page_stores_nothing(client, cast, content_folder, make_asset):
    asset = make_asset()
    client.force_login(cast["mike"])
    page = b"<html><script>steal()</script></html>"
    before = AuditLog.objects.count()

    response = client.post(
        f"/content/{asset.pk}/versions/", {"file": upload("v2.pdf", page), "note": "new"}
    )

    assert response.status_code == 400
    assert "v2.pdf: refused, it is an HTML page, which can carry script." in response.text
    assert AssetVersion.objects.filter(asset=asset).count() == 1
    assert AuditLog.objects.count() == before
    assert not content_folder.exists() or not any(content_folder.rglob("*.pdf"))


@pytest.mark.django_db
def test_a_new_file_is_a_new_version_of_the_same_asset_and_downloads_as_an_attachment(
    client, cast, make_asset
):
    asset = make_asset()
    client.force_login(cast["mike"])

    response = client.post(
        f"/content/{asset.pk}/versions/",
        {"file": upload("story.pdf", PDF_BYTES), "note": "new logo"},
    )

    assert response.status_code == 302
    assert [v.number for v in asset.versions.all()] == [2, 1]
    download = client.get(f"/content/{asset.pk}/v2/download/")
    assert download["Content-Disposition"] == 'attachment; filename="story.pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF_BYTES
    actions_logged = list(
        AuditLog.objects.filter(object_id=str(asset.pk)).values_list("action", flat=True)
    )
    assert actions_logged.count("content.version_added") == 2
