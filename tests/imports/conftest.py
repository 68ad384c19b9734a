"""The web import's fixtures: uploading a file as a user, and starting the import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

SALESFORCE_LEADS = (
    "Lead ID,First Name,Last Name,Title,Company / Account,Email,Lead Source,Lead Status,Created Date,Lead Owner\n"
    "00Q1,Ann,Lee,CFO,Acme,ann@acme.example,Webinar,Hot Prospect,03/04/2025,alice\n"
    "00Q2,Bob,Ray,CTO,Beta,bob@beta.example,Webinar,Working - Contacted,05/06/2025,\n"
    "00Q3,Cy,Ng,VP,Gamma,not-an-email,Webinar,Open - Not Contacted,07/08/2025,\n"
)


@pytest.fixture
def upload(settings, tmp_path):
    """POST a file to the imports page; uploads are kept under tmp_path/imports."""
    settings.VAR_DIR = tmp_path

    def send(client, text=SALESFORCE_LEADS, name="leads.csv", kind="leads", **extra):
        file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
        return client.post(reverse("imports:list"), {"kind": kind, "file": file, **extra})

    return send


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """POST the mapping (by default the detected one); the queued task runs when the
    transaction commits (immediately here), unless `run=False`."""

    def post(client, job, data=None, *, run=True):
        if data is None:
            data = {f"column-{field}": header for field, header in job.columns.items()}
        with django_capture_on_commit_callbacks(execute=run):
            return client.post(job.get_absolute_url(), data)

    return post
