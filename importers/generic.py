"""Any other xlsx/xlsm whose layout is a table of questions (what most customers send).

Every sheet is read with the shared table reader (`_table.py`): header by name, else by
content; numbering inside the text becomes the id; continuation rows extend the previous
answer. Visible sheets first, then hidden ones, and a question already seen on a visible
sheet is not repeated from a hidden copy.

The ISO 27001 Statement of Applicability in the corpus is a control list (statements,
no questions, no question header): it gets NoQuestionsFound, on purpose. A control list
read as questions would feed control titles into answer matching.
"""

from __future__ import annotations

import re

from importers._table import read_table
from importers._xlsx import is_workbook, open_workbook
from importers.base import NoQuestionsFound, ParsedQuestionnaire, Question


def _key(q: Question) -> str:
    return re.sub(r"\s+", " ", q.text).strip().casefold()


class GenericImporter:
    name = "generic"
    family = "generic"

    def detect(self, data: bytes, filename: str) -> bool:
        return is_workbook(data, filename)

    def parse(self, data: bytes, filename: str) -> ParsedQuestionnaire:
        wb = open_workbook(data, filename)
        wb.scan_all_xml()
        names = [n for n in wb.sheet_names if wb.state(n) == "visible"]
        names += [n for n in wb.sheet_names if wb.state(n) != "visible"]
        questions: list[Question] = []
        warnings: list[str] = []
        seen_visible: set[str] = set()
        for name in names:
            sheet = wb.sheet(name)
            result = read_table(wb, sheet)
            if not result.questions:
                continue
            if sheet.visible:
                seen_visible.update(_key(q) for q in result.questions)
                kept = result.questions
            else:
                kept = [q for q in result.questions if _key(q) not in seen_visible]
                if len(kept) < len(result.questions):
                    warnings.append(
                        f"{name}: hidden sheet repeats {len(result.questions) - len(kept)} questions of a visible "
                        "sheet; counted once, on the visible sheet"
                    )
                if not kept:
                    continue
            questions.extend(kept)
            warnings.extend(result.warnings)
        if not questions:
            raise NoQuestionsFound(
                f"{filename}: no recognisable questions (no question header and no column of question-shaped text)"
            )
        return ParsedQuestionnaire(
            family=self.family, version=None, format=wb.format, questions=questions, warnings=warnings
        )
