"""Shared fixtures: real files in tmp_path, a real config, the CLI as a user runs it."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedsvc.cli import main
from feedsvc.config import load_config
from feedsvc.models import Config

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
SAMPLES = DATA / "samples"
SEED_POST = SEEDS / "000_6390ca9886dbf2be.txt"
SEED_WIRE = SEEDS / "003_ba20f4baf1de7ff2.txt"
SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.name[:2].isdigit())

CONFIG_TEXT = """\
database: archive/archive.db
inbox: archive/inbox
public:
  dir: archive/public
  base_url: http://127.0.0.1:8080/
  entries_per_feed: {entries}
sources: []
media: link
"""


@pytest.fixture
def atom_schema() -> object:
    """RFC 4287 Appendix B, compiled from its compact syntax (``rnc2rng``)."""
    from lxml import etree
    from rnc2rng import dumps, load

    # rnc2rng declares the empty ``local`` prefix, which XML forbids; nothing uses it.
    grammar = dumps(load(str(DATA / "atom.rnc"))).replace(' xmlns:local=""', "")
    return etree.RelaxNG(etree.fromstring(grammar.encode()))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: config.yaml and an empty inbox."""
    (tmp_path / "archive" / "inbox").mkdir(parents=True)
    (tmp_path / "config.yaml").write_text(CONFIG_TEXT.format(entries=50), encoding="utf-8")
    return tmp_path


@pytest.fixture
def config(project: Path) -> Config:
    return load_config(project / "config.yaml")


@pytest.fixture
def inbox(project: Path) -> Path:
    return project / "archive" / "inbox"


def copy_into(folder: Path, *files: Path) -> list[Path]:
    copies = []
    for file in files:
        shutil.copy(file, folder / file.name)
        copies.append(folder / file.name)
    return copies


@pytest.fixture
def cli(project: Path) -> Callable[..., Result]:
    """Run ``feedsvc --config <project>/config.yaml ARGS``."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["--config", str(project / "config.yaml"), *args])

    return run


@pytest.fixture
def feed_server():
    """A real HTTP server on 127.0.0.1, routes set by the test."""
    from .feedserver import FeedServer

    server = FeedServer().start()
    yield server
    server.stop()


def write_sources(project: Path, sources: list[dict[str, object]], fetch: str = "") -> Config:
    """Rewrite the project's config.yaml with these sources (and a fetch section). Their
    ``full_text`` is ``never`` and ``media`` is ``link`` unless given: these tests' feeds
    link to pages and images no server answers (tests of full text and media say so)."""
    import yaml

    sources = [{"full_text": "never", "media": "link", **source} for source in sources]
    text = CONFIG_TEXT.format(entries=50).replace("sources: []\n", "")
    text += yaml.safe_dump({"sources": sources}, allow_unicode=True)
    text += fetch
    (project / "config.yaml").write_text(text, encoding="utf-8")
    return load_config(project / "config.yaml")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], object], timeout: float = 15.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
