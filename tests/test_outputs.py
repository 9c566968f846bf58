"""Output folders: concurrent --replace runs, stale staging after SIGKILL, the user's umask (issue 14)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from siting.errors import OutputExistsError
from siting.outputs import output_folder, remove_stale_partials

# A real process that writes one output folder through output_folder, slowly, so several can overlap.
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from siting.errors import OutputExistsError
    from siting.outputs import output_folder
    destination, tag, pause = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    try:
        with output_folder(destination, replace=True) as staging:
            (staging / "who.txt").write_text(tag)
            time.sleep(pause)
    except OutputExistsError as error:
        print(error, file=sys.stderr)
        sys.exit(3)
""")


def _writer(destination: Path, tag: str, pause: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(destination), tag, str(pause)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or p.name.endswith(".lock"))


def test_concurrent_replace_runs_never_race(tmp_path):
    """Three --replace runs on one folder at once: each finishes or is refused by name; nothing is lost or left."""
    destination = tmp_path / "out"
    with output_folder(destination) as staging:
        (staging / "who.txt").write_text("first")
    successes = 0
    for _ in range(3):
        writers = [_writer(destination, f"run{i}", 0.5) for i in range(3)]
        outcomes = [(w.wait(timeout=60), w.stderr.read()) for w in writers]
        assert all(code in (0, 3) for code, _ in outcomes), outcomes
        assert "Traceback" not in "".join(err for _, err in outcomes)
        for code, err in outcomes:
            if code == 3:
                assert "another run is writing" in err and str(destination) in err
        assert any(code == 0 for code, _ in outcomes)
        successes += sum(code == 0 for code, _ in outcomes)
    assert _debris(tmp_path) == []
    previous = sorted(p for p in tmp_path.iterdir() if p.name.startswith("out.previous-"))
    kept = [(destination / "who.txt").read_text()] + [(p / "who.txt").read_text() for p in previous]
    assert "first" in kept  # the very first folder was kept, not deleted
    assert len(previous) == successes  # every replaced folder was kept under its own name


def test_a_second_run_is_refused_while_the_first_writes(tmp_path):
    destination = tmp_path / "out"
    holder = _writer(destination, "holder", 3.0)
    deadline = time.monotonic() + 30
    while not (tmp_path / ".out.lock").exists():
        assert time.monotonic() < deadline, holder.stderr.read()
        time.sleep(0.05)
    with pytest.raises(OutputExistsError, match="another run is writing"):
        with output_folder(destination, replace=True):
            pass
    assert holder.wait(timeout=60) == 0
    assert (destination / "who.txt").read_text() == "holder"
    assert _debris(tmp_path) == []  # the lock file goes with the run


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_partials_of_killed_runs_are_removed_and_reported(tmp_path, capsys):
    stale = tmp_path / f".out.partial-{_dead_pid()}-abcd"
    stale.mkdir()
    (stale / "allocation.csv").write_text("half")
    live = tmp_path / f".other.partial-{os.getpid()}-efgh"  # this process is alive: never touched
    live.mkdir()
    with output_folder(tmp_path / "out") as staging:
        (staging / "x.txt").write_text("x")
    assert not stale.exists() and live.exists()
    assert f"removed {stale}" in capsys.readouterr().err
    assert remove_stale_partials(tmp_path) == []


def test_sigkill_during_a_real_write_leaves_staging_the_next_run_cleans(tmp_path):
    destination = tmp_path / "out"
    victim = _writer(destination, "victim", 30.0)
    deadline = time.monotonic() + 30
    while not [p for p in tmp_path.iterdir() if ".partial-" in p.name]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert [p for p in tmp_path.iterdir() if ".out.partial-" in p.name]  # what SIGKILL leaves behind
    survivor = _writer(destination, "survivor", 0.0)
    _, err = survivor.communicate(timeout=60)
    assert survivor.returncode == 0, err
    assert "removed" in err and "killed" in err
    assert _debris(tmp_path) == []
    assert (destination / "who.txt").read_text() == "survivor"


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_output_folders_follow_the_users_umask(tmp_path, umask):
    code = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from siting.outputs import output_folder
        os.umask({umask})
        with output_folder(Path(sys.argv[1])) as staging:
            (staging / "a.txt").write_text("a")
    """)
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], check=True)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o777 & ~umask
