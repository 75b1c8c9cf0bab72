"""Every command of the documented CLI exists; unfinished ones say so and exit 2."""

import pytest


@pytest.mark.parametrize(
    "args",
    [
        ["init-db", "--help"],
        ["inspect", "--help"],
        ["bank", "learn", "--help"],
        ["bank", "import", "--help"],
        ["bank", "export", "--help"],
        ["autofill", "--help"],
        ["users", "create", "--help"],
        ["users", "link", "--help"],
        ["users", "token", "--help"],
        ["purge", "--help"],
        ["audit", "verify", "--help"],
        ["audit", "export", "--help"],
    ],
)
def test_documented_command_exists(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_inspect_of_a_missing_file_exits_2(runner, tmp_path):
    result = runner.invoke(args=["inspect", str(tmp_path / "missing.xlsx")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_a_questionnaire_without_a_version_is_named_without_stray_spaces(runner, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("ID,Question,Answer,Comment\nQ-1,Do you encrypt data at rest?,,\n", encoding="utf-8")
    inspected = runner.invoke(args=["inspect", str(path)])
    assert inspected.exit_code == 0, inspected.output
    assert inspected.output.startswith("generic (csv): 1 questions")
    filled = runner.invoke(args=["autofill", str(path), "-o", str(tmp_path / "done.csv")])
    assert filled.exit_code == 0, filled.output
    assert filled.output.startswith("generic: 1 questions, ")
