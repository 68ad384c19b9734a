"""Downloading a list as CSV or XLSX, through the list's own filters: you get what you see."""

import tempfile

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accord.core import figures
from accord.crm import exports
from accord.crm.filters import (
    AccountFilterForm,
    CampaignFilterForm,
    LeadFilterForm,
    ListFilterForm,
    OpportunityFilterForm,
)
from accord.crm.kinds import Kind

LIST_FILTERS: dict[Kind, type[ListFilterForm]] = {
    Kind.LEADS: LeadFilterForm,
    Kind.ACCOUNTS: AccountFilterForm,
    Kind.OPPORTUNITIES: OpportunityFilterForm,
    Kind.CAMPAIGNS: CampaignFilterForm,
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_download(
    filename: str, columns: tuple[exports.Column, ...], records
) -> StreamingHttpResponse:
    """A CSV file to download, streamed: every table Accord exports (lists, the boards, the
    scoreboard) goes out through here, neutralised by `exports`."""
    response = StreamingHttpResponse(
        exports.csv_chunks(columns, records), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def dated(name: str) -> str:
    """accord-<name>-<today>.csv"""
    return f"accord-{name}-{timezone.localdate():%Y-%m-%d}.csv"


@require_safe
@figures.in_company_time
def export_list(request, kind: str, file_format: str):
    form_class = LIST_FILTERS.get(kind)
    if form_class is None or file_format not in ("csv", "xlsx"):
        raise Http404("No such export.")
    kind = Kind(kind)
    queryset = form_class(request.GET).apply(exports.all_records(kind))
    columns, records = exports.COLUMNS[kind], exports.rows(kind, queryset)
    filename = f"accord-{kind}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        return csv_download(filename, columns, records)
    # XLSX is a zip, assembled at the end: build it on disk, then send the file.
    file = tempfile.TemporaryFile(suffix=".xlsx")  # FileResponse closes (and so deletes) it
    exports.write_xlsx(file, columns, records, sheet_name=kind.title())
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
