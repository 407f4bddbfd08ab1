from pathlib import Path

import pytest

from feedsvc.config import load_config, parse_duration, served_at
from feedsvc.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sub" / "config.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "database: data/a.db\npublic:\n  dir: out\n"))
    assert config.database == str(tmp_path / "sub" / "data" / "a.db")
    assert config.public.dir == str(tmp_path / "sub" / "out")
    assert config.inbox == str(tmp_path / "sub" / "archive" / "inbox")
    assert config.public.entries_per_feed == 50


def test_base_url_gets_a_trailing_slash(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "public:\n  base_url: https://feeds.example.org/x\n"))
    assert config.public.base_url == "https://feeds.example.org/x/"


def test_sources_are_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
sources:
  - name: 联合早报 · 中国
    url: https://www.zaobao.com/rss/realtime/china
    tags: [china]
    every: 15m
"""))
    (source,) = config.sources
    assert (source.name, source.tags, source.every_seconds) == ("联合早报 · 中国", ("china",), 900)


@pytest.mark.parametrize(("text", "message"), [
    ("databse: x.db\n", "databse: unknown key"),
    ("public:\n  entries_per_feed: many\n", "public.entries_per_feed: expected an integer"),
    ("public:\n  entries_per_feed: 0\n", "public.entries_per_feed: expected an integer >= 1"),
    ("public:\n  base_url: ftp://x\n", "public.base_url: expected an http(s) URL"),
    ("public: [1, 2]\n", "public: expected a mapping"),
    ("sources:\n  - name: x\n    url: https://x.org/\n    every: soon\n",
     "sources[0].every: expected a duration like 15m, got 'soon'"),
    ("sources:\n  - url: https://x.org/\n", "sources[0].name: expected a non-empty string"),
    ("database: [unclosed\n", "not valid YAML at line"),
], ids=["unknown-key", "wrong-type", "too-small", "bad-url", "not-mapping", "bad-duration",
        "missing-name", "bad-yaml"])
def test_bad_config_is_one_line_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("value", "seconds"), [("15m", 900), ("2h", 7200), ("30s", 30),
                                                 (45, 45), ("1d", 86400), ("soon", None)])
def test_parse_duration(value: object, seconds: int | None) -> None:
    assert parse_duration(value) == seconds


def test_server_section(tmp_path: Path) -> None:
    default = load_config(write(tmp_path, "database: a.db\n")).server
    assert (default.host, default.port, default.max_age) == ("127.0.0.1", 8080, 60)
    config = load_config(write(tmp_path, "server:\n  host: 0.0.0.0\n  port: 9000\n"
                                         "  max_age: 5m\n"))
    assert (config.server.host, config.server.port, config.server.max_age) == \
        ("0.0.0.0", 9000, 300)
    assert load_config(write(tmp_path, "server:\n  max_age: 0\n")).server.max_age == 0


@pytest.mark.parametrize(("text", "message"), [
    ("server:\n  port: 70000\n", "server.port: expected a port number 0-65535, got 70000"),
    ("server:\n  port: http\n", "server.port: expected a port number"),
    ("server:\n  max_age: soon\n", "server.max_age: expected a duration like 60s, got 'soon'"),
    ("server:\n  listen: x\n", "server.listen: unknown key"),
])
def test_bad_server_settings_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(write(tmp_path, text))


def test_library_is_one_folder_or_a_list(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("library: archive/library\n", encoding="utf-8")
    assert load_config(path).library == (str(tmp_path / "archive" / "library"),)
    path.write_text("library: [a, b]\n", encoding="utf-8")
    assert load_config(path).library == (str(tmp_path / "a"), str(tmp_path / "b"))
    path.write_text("library: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="library: expected a folder or a list of folders"):
        load_config(path)


def test_served_address_replaces_only_the_default_base_url(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("public: {base_url: 'http://127.0.0.1:8080/'}\n", encoding="utf-8")
    config = load_config(path)
    assert served_at(config, "127.0.0.1", 8080) == (config, None)
    moved, warning = served_at(config, "0.0.0.0", 9000)
    assert moved.public.base_url == "http://127.0.0.1:9000/" and warning is None
    assert served_at(config, "::1", 9000)[0].public.base_url == "http://[::1]:9000/"
    path.write_text("public: {base_url: 'https://e.org/news/'}\n", encoding="utf-8")
    chosen = load_config(path)
    kept, warning = served_at(chosen, "127.0.0.1", 9000)
    assert kept.public.base_url == "https://e.org/news/"
    assert warning and "https://e.org/news/" in warning and "http://127.0.0.1:9000/" in warning
