"""Write answers into the original workbook bytes, changing only the target cells."""

from __future__ import annotations

from collections.abc import Mapping

from importers.base import CellRef, CellValue


class WriteBackError(Exception):
    """A value could not be written; the message names the sheet and cell."""


class ValueNotAllowed(WriteBackError):
    """The value is not in the target cell's dropdown list."""


def write_back(original: bytes, values: Mapping[CellRef, CellValue]) -> bytes:
    """Return `original` with `values` written into their cells. Not implemented yet (issue #3)."""
    raise NotImplementedError("xlsx write-back is not implemented yet (issue #3)")
