"""The README's examples, run as a person would on the sample archive of a fresh clone
(issue 16): each gives a result, or says why not."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Long-running: the daemon and the server are tested in test_daemon.py.
UNTIL_STOPPED = {"feedsvc run", "feedsvc serve"}
NEEDS_SOURCES = ("feedsvc fetch", "feedsvc sources")


def examples() -> list[str]:
    """The commands of the "Using it" block, in order, without their comments."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Using it", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
    return [c for c in commands if c.startswith("feedsvc")]


def test_every_readme_example_gives_a_result_on_the_sample_archive(tmp_path: Path) -> None:
    project = tmp_path / "clone"
    project.mkdir()
    shutil.copy(REPO / "config.yaml", project)
    with (project / "config.yaml").open("a", encoding="utf-8") as config:
        config.write("media: link\n")  # the samples' images are on the internet: not here
    shutil.copytree(REPO / "archive" / "library", project / "archive" / "library")
    (project / "archive" / "inbox").mkdir()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    env.pop("FEEDSVC_CONFIG", None)
    ran = []
    for command in examples():
        if command in UNTIL_STOPPED:
            continue
        result = subprocess.run(["bash", "-c", command], cwd=project, env=env,
                                capture_output=True, text=True, timeout=120)
        ran.append(command)
        assert "Traceback" not in result.stderr, command
        if command.startswith(NEEDS_SOURCES):
            assert result.returncode == 0, (command, result.stderr)
            assert "no sources in" in result.stderr, command  # says why there is nothing
            continue
        assert result.returncode == 0, (command, result.stderr)
        written = re.search(r"(?:>|-o) (\S+)$", command)
        if written:
            lines = (project / written.group(1)).read_text(encoding="utf-8").splitlines()
            assert len(lines) >= 2, command  # a CSV header alone, or one line, is not a result
        else:  # the daemon's one cycle reports in its log, on stderr
            assert (result.stdout if "run" not in command else result.stderr).strip(), command
        if command.startswith("feedsvc search") and "--json" not in command:
            assert "no matches" not in result.stderr, command
        if "--json" in command:
            assert result.stdout.strip() not in {"[]", ""}, command
    assert len(ran) >= 15 and {c.split()[1] for c in ran} >= {
        "ingest", "publish", "search", "export", "reindex", "stats", "fetch", "sources", "run"}
