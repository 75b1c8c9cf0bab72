"""The pure core must not pull in the web framework or the ORM."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("module", ["importers", "exporters", "exporters.xlsx", "answers.matching"])
def test_pure_packages_import_without_flask_or_sqlmodel(module):
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlmodel', 'sqlalchemy', 'werkzeug'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imports {out.stdout.strip()}"


def test_pure_packages_do_not_import_answers_package_or_flask_in_source():
    offenders = []
    for folder in ("importers", "exporters"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            for banned in ("import flask", "from flask", "sqlmodel", "from answers", "import answers"):
                if banned in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {banned}")
    matching = (ROOT / "answers" / "matching.py").read_text()
    for banned in ("import flask", "from flask", "sqlmodel", "from answers.models", "from answers.db"):
        if banned in matching:
            offenders.append(f"answers/matching.py: {banned}")
    assert offenders == []
