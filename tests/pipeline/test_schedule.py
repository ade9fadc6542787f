"""How a run starts its notebooks: in which order, and what its launcher imports first."""

from __future__ import annotations

from pathlib import Path

from analysis import pipeline
from analysis.pipeline import supervisor
from analysis.pipeline.jobs import Job
from analysis.pipeline.runner import load_durations, longest_first, save_durations


def _tasks(*stems: str) -> list[pipeline.Task]:
    return [pipeline.Task(Path(f"notebooks/{stem}.ipynb"), {}, Path("figures"),
                          Path(f"notebooks/{stem}.ipynb"), Path("figures/MANIFEST.json"), {})
            for stem in stems]


def test_never_timed_first_then_longest_first():
    """A new notebook starts at once; the rest in decreasing order of their last duration."""
    tasks = _tasks("01-a", "02-b", "03-c", "04-new")
    order = longest_first(tasks, {"01-a": 3.1, "02-b": 1.2, "03-c": 3.9})
    assert [t.stem for t in order] == ["04-new", "03-c", "01-a", "02-b"]


def test_two_workers_finish_sooner_when_the_longest_starts_first():
    """With the durations of a real run on two workers, LPT order shortens the makespan."""
    durations = {"01": 3.1, "02": 3.4, "03": 1.6, "04": 1.7, "05": 1.5, "06": 3.9}

    def makespan(order: list[str]) -> float:
        free = [0.0, 0.0]
        for stem in order:
            free[free.index(min(free))] += durations[stem]
        return max(free)

    by_name = sorted(durations)
    lpt = [t.stem for t in longest_first(_tasks(*by_name), durations)]
    assert makespan(by_name) == 3.4 + 1.7 + 3.9  # 06 starts last, on the later worker
    assert makespan(lpt) < makespan(by_name)


def test_durations_survive_a_run_and_bad_files_are_ignored(tmp_path):
    """The durations file is scheduling only: unreadable or malformed, it is ignored."""
    project = pipeline.Project.at(tmp_path)
    assert load_durations(project) == {}
    save_durations(project, {"02-b": 1.5, "01-a": 2.0})
    assert load_durations(project) == {"01-a": 2.0, "02-b": 1.5}
    project.durations_file.write_text("[1, 2]")
    assert load_durations(project) == {}
    project.durations_file.write_text("{not json")
    assert load_durations(project) == {}


def test_the_launcher_imports_what_the_notebooks_import_at_module_level():
    """For the real notebooks the launcher preloads the scientific stack they run.

    A library the package imports only inside a function (Frictionless, for a validation), and
    one not known to be fork-safe, is left to each kernel.
    """
    from analysis.pipeline.imports import imported_libraries
    from analysis.pipeline.launcher import preloadable

    real = pipeline.Project.default()
    libraries = imported_libraries(real.package_dir, pipeline.discover_notebooks(real))
    assert {"pandas", "seaborn", "statsmodels.api", "matplotlib.figure"} <= libraries
    assert not any(name.startswith(("analysis", "frictionless", "papermill")) for name in libraries)
    chosen = preloadable(sorted(libraries))
    assert "pandas" in chosen and "os" not in chosen and "json" not in chosen
    assert preloadable(["tqdm", "requests.adapters"]) == []  # not known to be fork-safe


def test_a_notebooks_time_starts_when_it_is_forked(monkeypatch):
    """The wait for the launcher's imports is left out of a notebook's recorded time."""
    monkeypatch.setattr(supervisor.time, "perf_counter", lambda: 100.0)
    job = Job("notebooks/01-a.ipynb", "staging", {}, "notebooks", {})
    handed_over_at, forked_at = 95.0, 99.0  # 4 s of the launcher's imports, then 1 s of work
    worker = supervisor.WorkerProcess("job.json", pid=7, forked_at=forked_at)
    running = supervisor.Running(_tasks("01-a")[0], job, worker, Path("launcher.log"),
                                 handed_over_at)
    assert running.seconds == 1.0
    worker.forked_at = None  # no report read: from the hand-over
    assert running.seconds == 5.0
