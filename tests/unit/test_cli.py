"""The `binhyen` command as a person runs it: settings errors, imports, invites, roles, help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from tests.harness import INVITE_IN_TEXT
from tests.services.test_households import cp1258

REPO = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("BINHYEN_")}
    base.update(BINHYEN_DATA_DIR=str(tmp_path / "data"), BINHYEN_KEY_FILE=str(tmp_path / "keys"))
    base.update(env)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=tmp_path, env=base,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BINHYEN_TIMEZONE", "Asia/Hanoi_Nowhere"),
        ("BINHYEN_LOG_LEVEL", "LOUD"),
        ("BINHYEN_TELEGRAM_TOKEN", "not-a-token"),
        ("BINHYEN_DATABASE_URL", "mysql://x"),
        ("BINHYEN_TELEGRAM_API_URL", "telegram"),
        ("BINHYEN_SANDBOX_PORT", "99999"),
        ("BINHYEN_TELEGRAM_PROXY", "ftp://proxy"),
    ],
)
def test_a_wrong_setting_stops_with_one_line_naming_it(
    tmp_path: Path, name: str, value: str
) -> None:
    result = run(tmp_path, "migrate", **{name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr
    assert not (tmp_path / "data").exists()


def test_settings_come_from_dotenv_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BINHYEN_TIMEZONE=Nowhere/City\n")
    result = run(tmp_path, "migrate")
    assert result.returncode == 2 and "BINHYEN_TIMEZONE" in result.stderr


def test_key_file_that_does_not_match_refuses_to_start(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    other = tmp_path / "other-keys"
    assert run(tmp_path, "migrate", BINHYEN_KEY_FILE=str(other),
               BINHYEN_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/fresh.db").returncode == 0
    result = run(tmp_path, "migrate", BINHYEN_KEY_FILE=str(other))
    assert result.returncode == 2 and "không khớp" in result.stderr


def test_areas_import_invite_and_roles(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,parent\nP,Tỉnh,province,\nX,,commune,P\nY,Xã Y,commune,Q\n",
                   encoding="utf-8")
    result = run(tmp_path, "areas", "import", str(bad))
    assert result.returncode == 1
    assert "Dòng 3: thiếu tên" in result.stderr and "Dòng 4" in result.stderr
    assert "Không nhập gì cả" in result.stderr

    good = tmp_path / "good.yaml"
    good.write_text("- {code: P, name: Tỉnh P, level: province}\n"
                    "- {code: X, name: Xã X, level: commune, parent: P}\n", encoding="utf-8")
    result = run(tmp_path, "areas", "import", str(good))
    assert result.returncode == 0 and "Đã nhập 2 khu vực" in result.stdout

    result = run(tmp_path, "invite", "--role", "police_officer", "--area", "X", "--expires", "2d")
    assert result.returncode == 0, result.stderr
    assert INVITE_IN_TEXT.search(result.stdout)
    assert "Mã mời:" in result.stdout

    result = run(tmp_path, "invite", "--role", "police_officer", "--area", "NOPE")
    assert result.returncode == 1 and "Không có khu vực mã NOPE" in result.stderr
    result = run(tmp_path, "invite", "--role", "boss", "--area", "X")
    assert result.returncode == 2  # argparse refuses an unknown role

    result = run(tmp_path, "roles", "list")
    assert result.returncode == 0 and "Chưa có vai trò" in result.stdout
    result = run(tmp_path, "roles", "revoke", "42")
    assert result.returncode == 1 and "Không có quyền nào số 42" in result.stderr


def test_help_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The installed command answers --help; every subcommand's help, from the same parser
    in this process (a process each would cost seconds of imports for nothing)."""
    result = run(tmp_path, "--help")
    assert result.returncode == 0 and "usage: binhyen" in result.stdout
    parser = build_parser()
    for args in (["run", "--help"], ["areas", "import", "--help"], ["areas", "seed", "--help"],
                 ["invite", "--help"], ["roles", "revoke", "--help"], ["demo", "--help"],
                 ["sandbox", "--help"], ["keys", "rotate", "--help"], ["migrate", "--help"],
                 ["households", "import", "--help"], ["report", "--help"],
                 ["backup", "--help"], ["restore", "--help"]):
        with pytest.raises(SystemExit) as stopped:
            parser.parse_args(args)
        assert stopped.value.code == 0 and "usage: binhyen" in capsys.readouterr().out, args


def test_import_rule_keeps_the_core_free_of_messengers() -> None:
    for path, source, allowed in [
        ("handlers/probe.py", "import aiogram\n", False),
        ("bot/services/probe.py", "from aiogram.types import Message\n", False),
        ("handlers/probe.py", "from bot.channels.telegram import TelegramChannel\n", False),
        ("bot/services/probe.py", "from bot.channels.registry import CHANNELS\n", False),
        ("bot/app.py", "from bot.channels.registry import CHANNELS\n", True),
        ("bot/services/probe.py", "from bot.channels.base import Incoming\n", True),
        ("bot/channels/probe.py", "import aiogram\n", True),
    ]:
        _assert_ruff_rule("TID251", path, source, allowed=allowed)


def _assert_ruff_rule(rule: str, path: str, source: str, *, allowed: bool) -> None:
    """`source`, as if it were the file at `path`, passes `rule` exactly when `allowed`."""
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "check", "--select", rule, "--stdin-filename", path, "-"],
        input=source, cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert (result.returncode == 0) is allowed, (path, source, result.stdout)


def test_import_rule_keeps_queries_out_of_handlers() -> None:
    """Handlers translate, call one use case and render; SQL lives in bot/services/."""
    for path, source, allowed in [
        ("handlers/probe.py", "from sqlalchemy import select\n", False),
        ("handlers/police.py", "from sqlalchemy.ext.asyncio import AsyncSession\n", False),
        ("handlers/probe.py", "import sqlalchemy\n", False),
        ("bot/services/probe.py", "from sqlalchemy import select\n", True),
        ("bot/services/tips/probe.py", "from sqlalchemy import select\n", True),
        ("scheduler/probe.py", "import sqlalchemy\n", True),
        ("handlers/probe.py", "from bot.services.tips import intake\n", True),
    ]:
        _assert_ruff_rule("TID253", path, source, allowed=allowed)


def test_outbox_status_and_evidence_export(tmp_path: Path) -> None:
    assert run(tmp_path, "demo").returncode == 0
    result = run(tmp_path, "outbox", "status")
    assert result.returncode == 0 and "Hàng đợi trống" in result.stdout
    result = run(tmp_path, "evidence", "99", "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "Không có tin báo số 99" in result.stderr


def test_key_rotation_keeps_working(tmp_path: Path) -> None:
    assert run(tmp_path, "demo").returncode == 0
    result = run(tmp_path, "keys", "rotate")
    assert result.returncode == 0 and "tổng 2 khóa" in result.stdout
    assert run(tmp_path, "roles", "list").returncode == 0


def test_households_import(tmp_path: Path) -> None:
    tree = tmp_path / "tree.csv"
    tree.write_text("code,name,level,parent\nX,Xã X,commune,\nV,Thôn V,village,X\n"
                    "G,Tổ 1,group,V\n", encoding="utf-8")
    assert run(tmp_path, "areas", "import", str(tree)).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("Mã hộ,Chủ hộ,Địa chỉ,Số nhân khẩu\nH1,An,x,4\nH1,Bình,y,không\n",
                   encoding="utf-8")
    result = run(tmp_path, "households", "import", str(bad), "--area", "G")
    assert result.returncode == 1, result.stderr
    assert "Chưa nhập gì cả" in result.stderr and "Dòng 3: mã hộ H1 trùng" in result.stderr
    good = tmp_path / "good.csv"
    good.write_bytes(cp1258("Mã hộ;Chủ hộ;Địa chỉ;Số nhân khẩu\n" + "".join(
        f"H{n};Người {n};Xóm {n % 3};{n % 5 + 1}\n" for n in range(250))))
    result = run(tmp_path, "households", "import", str(good), "--area", "G")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == ["Đang nhập: 200/250 hộ…", "Đang nhập: 250/250 hộ…",
                                              "✅ Đã nhận danh sách hộ của Tổ 1: 250 hộ."]
