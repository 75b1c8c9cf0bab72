"""Build the files a reviewer downloads: the completed original and the response report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from sqlmodel import Session

from answers import audit, storage
from answers.models import Item, ItemStatus, Questionnaire
from answers.responding import cell_values, export_items, final_answer, get_questionnaire, question_of, unwritable_in
from exporters.xlsx import WriteBackError
from importers import QuestionnaireImportError, workbook_format

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
}
REVIEW_FILL = "FFF2CC"


# Extensions an upload's name may carry before its last one ("x.xlsx.exe", "x.xlsx.xlsx"):
# not part of the name a download is called after.
_FILE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".docx", ".doc", ".csv", ".txt"}
#: Extensions a delimited-text questionnaire keeps in its download (Excel opens a tab-
#: separated file named .csv as one column per line; `flask autofill` keeps them too).
_TEXT_EXTENSIONS = (".csv", ".tsv", ".txt", ".tab")
#: A download's name before "_completed.xlsx": this many characters and UTF-8 bytes at most
#: (file systems take 255 bytes per name; a browser shortens longer ones its own way).
MAX_STEM_CHARS, MAX_STEM_BYTES = 100, 150


def download_stem(filename: str) -> str:
    """The name downloads of this upload are called after: without its extensions
    ("x.xlsx" and "x.xlsx.exe" -> "x"; "plan.v2.xlsx" -> "plan.v2"), shortened to
    MAX_STEM_CHARS characters and MAX_STEM_BYTES UTF-8 bytes."""
    stem = PurePath(filename).stem
    while PurePath(stem).suffix.lower() in _FILE_SUFFIXES:
        stem = PurePath(stem).stem
    stem = stem[:MAX_STEM_CHARS].encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore").strip()
    return stem or "questionnaire"


class ExportError(Exception):
    """The export could not be built; the message says why."""


@dataclass
class ExportedFile:
    data: bytes
    filename: str
    mimetype: str


def writer(fmt: str):
    """The write_back function for a questionnaire format."""
    if fmt in ("xlsx", "xlsm"):
        from exporters.xlsx import write_back
    elif fmt == "docx":
        from exporters.docx import write_back
    elif fmt == "csv":
        from exporters.csv import write_back
    else:
        raise ExportError(f"no writer for {fmt} files")
    return write_back


def _write(write_back, original: bytes, values, items, *, highlight: bool) -> bytes:
    if not highlight:
        return write_back(original, values)
    marks = {}
    for item in items:
        if item.status != ItemStatus.accepted and not item.original_answer:
            cell = question_of(item).answer_cell
            if cell is not None:
                marks[cell] = REVIEW_FILL
    return write_back(original, values, highlight=marks)


def completed_file(
    questionnaire_id: int,
    *,
    session: Session,
    upload_folder: str,
    actor: str,
    highlight: bool = False,
    ip: str | None = None,
) -> ExportedFile:
    """The customer's original file with the accepted answers written in."""
    q = get_questionnaire(questionnaire_id, session=session)
    marks = highlight and q.format in ("xlsx", "xlsm")
    # only accepted decisions are written; the highlight marks the others' cells
    items = export_items(q.id, session=session, accepted_only=not marks)  # type: ignore[arg-type]
    values = cell_values(items, [final_answer(i) for i in items])
    try:
        original = storage.read(q.stored_name, upload_folder)
    except storage.StoredFileMissing as exc:
        raise ExportError(str(exc)) from exc
    fmt = q.format
    if fmt in ("xlsx", "xlsm"):
        # by content: uploads before 2026-11-30 stored 'xlsm' for any workbook named .xlsm,
        # and Excel refuses a file whose extension disagrees with its workbook content type
        try:
            fmt = workbook_format(original, q.filename)
        except QuestionnaireImportError as exc:
            raise ExportError(str(exc)) from exc
    write_back = writer(fmt)
    try:
        data = _write(write_back, original, values, items, highlight=marks)
    except (WriteBackError, ValueError) as exc:
        raise ExportError(str(exc)) from exc
    extension = f".{fmt}"
    if fmt == "csv" and PurePath(q.filename).suffix.lower() in _TEXT_EXTENSIONS:
        extension = PurePath(q.filename).suffix.lower()  # vendor.tsv -> vendor_completed.tsv
    name = f"{download_stem(q.filename)}_completed{extension}"
    audit.record(
        session,
        "questionnaire.export",
        actor=actor,
        ip=ip,
        object_type="questionnaire",
        object_id=q.id,
        details={"format": fmt, "cells": len(values), "highlight": highlight},
    )
    session.commit()
    return ExportedFile(data, name, MIMETYPES[fmt])


def _report_status(item: Item, *, writable: bool = True) -> str:
    """The report's states, counted like the review page's progress."""
    if item.original_answer and item.status != ItemStatus.accepted:
        return "answered"
    if not writable:
        return "not_writable"
    if item.status == ItemStatus.accepted:
        return "answered"
    if item.status != ItemStatus.pending or item.tier != "none":
        return "needs_review"
    return "unanswered"


def report_file(questionnaire_id: int, *, session: Session, actor: str, ip: str | None = None) -> ExportedFile:
    """The response report (.docx): every question with its answer and comment, by section."""
    from exporters.docx import ReportRow, response_report

    q: Questionnaire = get_questionnaire(questionnaire_id, session=session)
    rows = []
    items = export_items(q.id, session=session)  # type: ignore[arg-type]
    blocked = unwritable_in(q.id, session=session)
    for item in items:
        # what the completed file holds: a decision (written whole), else the file's own
        answer, comment = final_answer(item)
        if item.status != ItemStatus.accepted:
            answer, comment = item.original_answer, item.original_comment
        writable = item.id not in blocked
        if not writable and not item.original_answer:
            answer, comment = None, None  # nothing of a decision reaches the file
        rows.append(
            ReportRow(
                section=item.section or item.sheet,
                id=item.question_id,
                question=item.text,
                answer=answer,
                comment=comment,
                status=_report_status(item, writable=writable),
                tier=item.tier,
            )
        )
    subtitle = " ".join(x for x in (q.family.upper(), q.edition or "", q.version or "") if x)
    data = response_report(q.name, rows, subtitle=subtitle)
    audit.record(session, "questionnaire.report", actor=actor, ip=ip, object_type="questionnaire", object_id=q.id)
    session.commit()
    return ExportedFile(data, f"{download_stem(q.filename)}_report.docx", MIMETYPES["docx"])
