"""docs/deploy.md as far as one machine can run it: the systemd units through
`systemd-analyze verify`, the nginx site through `nginx -t` (Debian's nginx installed once where
it is missing and the machine allows it), the operator's wrapper through `sh -n`, and every
`binhyen …` command the guide names through the command's own parser, in-process.

Why: a guide whose unit does not load or whose nginx site does not parse fails the operator at
the worst moment, on a server far away; and a command renamed in the code leaves the guide
lying. What needs the real world — certbot, PostgreSQL's roles, the platforms' webhooks — is
not run here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import Settings
from bot.web import WebServer
from tests import proxy

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "deploy.md"
FILES = REPO / "docs" / "deploy"
UNITS = ("binhyen@.service", "binhyen-migrate.service", "binhyen-backup.service",
         "binhyen-backup.timer")
INSTALLED_BINHYEN = "/opt/binhyen/.venv/bin/binhyen"


# ---- systemd ------------------------------------------------------------------------------------

def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` exits 0 even on a misspelt setting (it only warns), so any line
    it says about our files fails the test. The worker is verified as an instance (the template
    itself is skipped by verify); the program's path is pointed at this machine's `binhyen`,
    since verify refuses an ExecStart that does not exist."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units are not verified here")
    here = Path(sys.executable).parent / "binhyen"
    program = str(here) if here.exists() else "/bin/true"
    for name in UNITS:
        text = (FILES / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_BINHYEN, program), encoding="utf-8")
    targets = [str(tmp_path / "binhyen@8101.service")] + [
        str(tmp_path / name) for name in UNITS if "@" not in name]
    done = subprocess.run([analyze, "verify", "--man=no", *targets], capture_output=True,
                          text=True, timeout=60, check=False,
                          env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": "cat"})
    ours = [line for line in (done.stdout + done.stderr).splitlines()
            if str(tmp_path) in line or "binhyen" in line]
    assert done.returncode == 0 and not ours, done.stdout + done.stderr


def test_the_operators_command_is_valid_shell() -> None:
    done = subprocess.run(["sh", "-n", str(FILES / "binhyen.sh")], capture_output=True,
                          text=True, timeout=10, check=False)
    assert done.returncode == 0, done.stderr


# ---- nginx --------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def nginx() -> str:
    """The nginx binary (installed once where it is missing and the machine allows: see
    `tests.proxy`); else the test is skipped in one line that says why."""
    try:
        return proxy.nginx_binary()
    except proxy.NoNginx as why:
        pytest.skip(f"{why}: the nginx site is not tested")


def test_the_nginx_site_passes_nginx_t(tmp_path: Path, nginx: str) -> None:
    """Our site inside a scratch nginx.conf, its certificate a throwaway one and its logs in the
    scratch directory: `nginx -t` reads it all (and binds no port)."""
    tls = proxy.throwaway_tls(tmp_path)
    conf = proxy.write_config(tmp_path, proxy.site(tmp_path, tls, [8101, 8102], 8443, 8080))
    done = subprocess.run([nginx, "-t", "-q", "-p", f"{tmp_path}/", "-e",
                           str(tmp_path / "error.log"), "-c", str(conf)],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr


def test_nginx_passes_on_every_path_the_bot_serves() -> None:
    """Each route of bot/web.py has its location in the site (a commented one counts: /metrics
    stays limited until the operator opens it to their monitoring)."""
    site = (FILES / "nginx-binhyen.conf").read_text(encoding="utf-8")
    locations = set(re.findall(r"^\s*#?\s*location\s+=?\s*(\S+)\s*\{", site, re.MULTILINE))
    app = WebServer(rt=None).app()  # type: ignore[arg-type]  # routes only, nothing served
    for resource in app.router.resources():
        path = resource.canonical
        if "{channel}" in path:
            wanted = [path.replace("{channel}", name) for name in ("telegram", "zalo")]
        else:
            wanted = [path.split("{", 1)[0]]
        for location in wanted:
            assert location in locations, f"nginx-binhyen.conf has no location for {location}"


# ---- the settings file ----------------------------------------------------------------------------

def test_env_example_names_only_real_settings_and_no_web_port() -> None:
    names = re.findall(r"^#?\s*(BINHYEN_[A-Z0-9_]+)=", (FILES / "env.example").read_text(
        encoding="utf-8"), re.MULTILINE)
    known = {f"BINHYEN_{field.upper()}" for field in Settings.model_fields}
    assert names and not set(names) - known, set(names) - known
    assert "BINHYEN_WEB_PORT" not in names  # each worker's unit sets it (and this file would win)


# ---- the commands the guide names ---------------------------------------------------------------

def _commands(text: str) -> tuple[list[list[str]], list[list[str]]]:
    """(`binhyen …` lines of the code blocks: whole commands; `binhyen …` in inline code:
    maybe only a command's name, as prose names it)."""
    whole: list[list[str]] = []
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars="&|;")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            try:
                tokens = list(lexer)
            except ValueError:  # not shell (the drawing)
                continue
            segment: list[str] = []
            for token in [*tokens, ";"]:
                if token and set(token) <= set("&|;"):
                    if segment and Path(segment[0]).name == "binhyen":
                        whole.append(segment[1:])
                    segment = []
                else:
                    segment.append(token)
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    named = [shlex.split(span)[1:] for span in re.findall(r"`(binhyen [^`]+)`", prose)]
    return whole, [words for words in named if words and words != ["…"]]


def _parses(parser: argparse.ArgumentParser, args: list[str]) -> bool:
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            parser.parse_args(args)
    except SystemExit as stop:
        return stop.code == 0  # --help
    return True


def _names_a_command(parser: argparse.ArgumentParser, words: list[str]) -> bool:
    """`binhyen keys rotate`, `binhyen backup`: prose naming a command, no arguments; the words
    lead through the subcommands (anything more must parse as a whole)."""
    walked = 0
    for word in words:
        subcommands = [action for action in parser._actions
                       if isinstance(action, argparse._SubParsersAction)]
        if not subcommands or word not in subcommands[0].choices:
            break
        parser = subcommands[0].choices[word]
        walked += 1
    return 0 < walked == len(words)


def test_every_binhyen_command_in_the_guide_exists() -> None:
    whole, named = _commands(GUIDE.read_text(encoding="utf-8"))
    assert len(whole) >= 6 and len(named) >= 5  # the guide's own commands were found
    parser = build_parser()
    wrong = [" ".join(args) for args in whole if not _parses(parser, args)]
    wrong += [" ".join(words) for words in named
              if not _parses(parser, words) and not _names_a_command(parser, words)]
    assert not wrong, f"docs/deploy.md names commands `binhyen` does not take: {wrong}"
