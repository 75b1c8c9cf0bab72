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
        ["users", "token", "--help"],
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
