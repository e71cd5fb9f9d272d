"""The embedded store at start-up (docs/decisions/0014-embedded-sqlite-store.md): created with
its folder beside the config file, in WAL mode and migrated; an unusable path fails the start
with an error naming it."""
import os
import sqlite3
import subprocess
import textwrap

from conftest import BIN_DIR, start_process, stop_process

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")


def config_with(tmp_path, store=""):
    plugin_dir = os.path.abspath(BIN_DIR)
    config = tmp_path / "gateway.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 1
        plugins:
          - name: echo
            path: {plugin_dir}/libProviderEcho.so
        providers:
          - name: echo
            plugin: echo
            models: [echo-1]
        """) + store)
    return config


def test_the_default_store_is_created_beside_the_config_file(tmp_path):
    process, _ = start_process([SWITCHYARD, "serve", "--config", str(config_with(tmp_path))])
    stop_process(process)
    database = tmp_path / "switchyard-data" / "switchyard.db"
    assert database.is_file()
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'").fetchone()[0] == 1


def test_a_relative_store_path_starts_at_the_config_folder_and_its_folders_are_created(tmp_path):
    config = config_with(tmp_path, "store:\n  path: deep/er/gw.db\n")
    process, _ = start_process([SWITCHYARD, "serve", "--config", str(config)])
    stop_process(process)
    assert (tmp_path / "deep" / "er" / "gw.db").is_file()


def test_an_unusable_store_path_fails_the_start_naming_it(tmp_path):
    (tmp_path / "blocker").write_text("not a folder")
    config = config_with(tmp_path, "store:\n  path: blocker/gw.db\n")
    result = subprocess.run([SWITCHYARD, "serve", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"cannot open the store (store.path {tmp_path}/blocker/gw.db)" in result.stderr
    assert "is not a directory" in result.stderr or "in the way" in result.stderr


def test_a_database_from_a_newer_switchyard_is_refused(tmp_path):
    database = tmp_path / "switchyard-data" / "switchyard.db"
    database.parent.mkdir()
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', 0)")
    result = subprocess.run([SWITCHYARD, "serve", "--config", str(config_with(tmp_path))], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "schema version 999 (from_the_future), newer than this switchyard knows" in result.stderr
    assert str(database) in result.stderr
