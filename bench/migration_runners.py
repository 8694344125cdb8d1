"""peewee 4's migration runner (``playhouse.migrations.Runner``) against ``spec_server.migrations``.

Both run at every worker's start. For each: the time to bring a fresh SQLite database to
the current schema, the time a start takes when it is already current (every worker pays
it), and what happens when 4 workers start at once on a fresh database (``--workers 4``).
The runner gets our schema as its scripts: ``0001_tables`` creates every table of the
current models, then one script per later step (as no-ops: a fresh database needs none).

Run: ``.venv/bin/python -m bench.migration_runners``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.benchmark import ROOT

SCRIPT = """\
from spec_server import migrations


def up(migrator, db):
    {body}
"""

OURS = """
import sys, time
from spec_server import db, migrations
db.open_database(sys.argv[1])
started = time.perf_counter()
migrations.migrate()
print(time.perf_counter() - started)
"""

RUNNER = """
import sys, time
from playhouse.migrations import Runner
from spec_server import db
db.open_database(sys.argv[1])
started = time.perf_counter()
Runner(db.database.obj, directory=sys.argv[2]).up()
print(time.perf_counter() - started)
"""


def scripts(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from spec_server import db, migrations

    db.open_database(f"sqlite:///{folder}/probe.sqlite3")
    directory = folder / "migrations"
    directory.mkdir()
    (directory / "0001_tables.py").write_text(SCRIPT.format(body="db.create_tables(migrations.all_models())"))
    for number, step in enumerate(migrations.steps()[1:], start=2):
        name = "".join(ch if ch.isalnum() else "_" for ch in step.name.lower())[:40]
        (directory / f"{number:04d}_{name}.py").write_text(SCRIPT.format(body="pass  # a fresh database needs none"))
    return directory


def once(code: str, *args: str) -> tuple[float | None, str]:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        return None, (done.stderr.strip().splitlines() or ["?"])[-1]
    return float(done.stdout.strip().splitlines()[-1]), ""


def together(code: str, url: str, *args: str, count: int = 4) -> list[str]:
    started = [subprocess.Popen([sys.executable, "-c", code, url, *args], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(count)]
    outcomes = []
    for process in started:
        _out, err = process.communicate()
        outcomes.append("ok" if process.returncode == 0 else (err.strip().splitlines() or ["?"])[-1][:110])
    return outcomes


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="spec-server-migrations-"))
    directory = scripts(folder)
    print(f"SQLite; the runner's scripts: {', '.join(sorted(p.name for p in directory.glob('*.py')))}")
    for label, code, extra in (("spec_server.migrations", OURS, ()),
                               ("playhouse.migrations.Runner", RUNNER, (str(directory),))):
        url = f"sqlite:///{folder}/{label.split('.')[0]}-{time.monotonic_ns()}.sqlite3"
        fresh, error = once(code, url, *extra)
        current = [once(code, url, *extra)[0] for _ in range(3)]
        print(f"\n== {label}")
        print(f"fresh database: {fresh * 1000:.0f} ms" if fresh is not None else f"fresh database: failed: {error}")
        print("already current: " + ", ".join(f"{t * 1000:.1f} ms" for t in current if t is not None))
        url = f"sqlite:///{folder}/together-{time.monotonic_ns()}.sqlite3"
        outcomes = together(code, url, *extra)
        print(f"4 processes at once on a fresh database: {outcomes.count('ok')} of 4 succeeded")
        for outcome in sorted(set(outcomes) - {"ok"}):
            print(f"  failed: {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
