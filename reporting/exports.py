"""Tables as downloads: CSV or XLSX from one header row and data rows, for the dashboard, Annex A and returns."""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _safe(cell):
    """Spreadsheet programs run a cell that starts with =, +, - or @ as a formula; text is prefixed so it is not."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def table_response(
    *, filename_stem: str, header: Sequence[str], rows: Iterable[Sequence], file_format: str, sheet_title: str = ""
) -> HttpResponse:
    """A CSV or XLSX attachment `filename_stem`.csv|.xlsx (never name a person in the stem), not cached."""
    if file_format not in FORMATS:
        raise ValueError(f"Unknown format {file_format!r}")
    response = HttpResponse(content_type=FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename_stem}.{file_format}"'
    response["Cache-Control"] = "no-store"
    if file_format == "csv":
        writer = csv.writer(response)
        writer.writerow(header)
        writer.writerows([_safe(cell) for cell in row] for row in rows)
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(sheet_title or filename_stem)[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([_safe(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response.write(buffer.getvalue())
    return response
