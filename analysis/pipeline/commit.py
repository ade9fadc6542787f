"""Moving a finished notebook's outputs into place, as one group, and keeping the manifest.

A notebook's output files, its executed notebook, the updated manifest (with what each output
is, as the notebook declared it) and the folder's data package derived from it are moved into
place together (:func:`analysis.io.replace_all`): each file is first put beside its target
(linked, or copied when the target folder is on another filesystem), each file already in
place is renamed aside, and if any step fails every file is put back, so a notebook's outputs
change all together or not at all.
Stop signals are held while this happens (:meth:`SignalGuard.hold`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from analysis.io import atomic_write_many, is_no_space, replace_all
from analysis.pipeline.datapackage import DATAPACKAGE_NAME, datapackage_bytes
from analysis.pipeline.jobs import OUTPUT_SUBDIR, Result
from analysis.pipeline.manifest import (
    Manifest,
    ManifestEntry,
    OutputRecord,
    load_manifest,
    notebook_source_digest,
)
from analysis.pipeline.plan import Task
from analysis.pipeline.project import Log, NoSpaceError, Project, SaveError
from analysis.pipeline.signals import SignalGuard


@dataclass
class NotebookOutcome:
    """What happened to one notebook.

    Attributes:
        notebook: The notebook's stem.
        status: ``"ran"``, ``"skipped"`` or ``"failed"``.
        seconds: Wall time of its execution (0 when skipped).
        message: The reason it was skipped, or what went wrong.
        outputs: Paths (relative to the root) of the files it produced.
        failed_notebook: Where the executed notebook of a failed run was saved.
    """

    notebook: str
    status: str
    seconds: float = 0.0
    message: str = ""
    outputs: list[str] = field(default_factory=list)
    failed_notebook: Path | None = None


class Committer:
    """Commits finished notebooks and keeps the manifests up to date (parent process)."""

    def __init__(
        self, project: Project, tasks: Sequence[Task], log: Log, guard: SignalGuard
    ) -> None:
        self.project = project
        self.log = log
        self.guard = guard
        self.manifests = {t.manifest_path: load_manifest(t.manifest_path) for t in tasks}
        self.claimed: dict[str, str] = {}

    def commit(self, task: Task, result: Result, seconds: float) -> NotebookOutcome:
        """Move a successful notebook's outputs, executed notebook and manifest into place.

        Raises:
            SaveError: A file could not be moved (none of this notebook's files changed).
        """
        refused = self._refusal(task, result)
        if refused:
            return NotebookOutcome(task.stem, "failed", seconds, refused)
        project = self.project
        staged_nb = Path(result.notebook or "")
        staging = staged_nb.parent
        manifest = self.manifests[task.manifest_path]
        outputs = {project.rel(task.dest_dir / rel): sha for rel, sha in result.outputs.items()}
        outputs[project.rel(task.notebook_out)] = result.notebook_sha
        previous = manifest.notebooks.get(task.stem)
        updated = self._updated_manifest(manifest, task, outputs, self._records(task, result))
        staged_manifest = staging / "MANIFEST.json"
        staged_manifest.write_bytes(updated.to_bytes())
        staged_package = staging / DATAPACKAGE_NAME
        staged_package.write_bytes(datapackage_bytes(updated, project.root))
        moves = [(staging / OUTPUT_SUBDIR / rel, task.dest_dir / rel) for rel in result.outputs]
        moves += [(staged_nb, task.notebook_out), (staged_manifest, task.manifest_path),
                  (staged_package, task.manifest_path.parent / DATAPACKAGE_NAME)]
        with self.guard.hold():
            replace_group(moves, f"the outputs of {task.stem}")
            self.manifests[task.manifest_path] = updated
            self.claimed.update(dict.fromkeys(outputs, task.stem))
            stale = set(previous.outputs) - set(outputs) if previous else set()
            for rel in sorted(stale):
                self._remove_output(rel, task.dest_dir, f"no longer produced by {task.stem}")
        return NotebookOutcome(task.stem, "ran", seconds, outputs=sorted(outputs))

    def _refusal(self, task: Task, result: Result) -> str:
        """Why a successful notebook's outputs must not be committed ("" when they may)."""
        project = self.project
        if task.canonical and notebook_source_digest(task.notebook) != task.inputs["notebook"]:
            return f"{project.rel(task.notebook)} was edited while it ran; not overwritten"
        reserved = (task.manifest_path.resolve(), task.notebook_out.resolve(),
                    (task.manifest_path.parent / DATAPACKAGE_NAME).resolve())
        names = [str(declared.get("name")) for declared in result.declared]
        if task.stem in names or len(set(names)) != len(names):
            return f"output names {sorted(names)} repeat a name or the notebook's"
        for rel in result.outputs:
            target = task.dest_dir / rel
            owner = self.claimed.get(project.rel(target))
            if target.resolve() in reserved:
                return f"output name {rel!r} is reserved"
            if owner and owner != task.stem:
                return f"output {project.rel(target)} is also written by {owner}"
        return ""

    def _records(self, task: Task, result: Result) -> dict[str, OutputRecord]:
        """What each of the notebook's outputs is: its declarations, and the notebook itself."""
        records = {}
        for declared in result.declared:
            files = tuple(self.project.rel(task.dest_dir / name) for name in declared["files"])
            records[declared["name"]] = OutputRecord(
                name=declared["name"], kind=declared["kind"], title=declared["title"],
                description=declared["description"], files=files, schema=declared["schema"],
                cell=declared["cell"], cell_id=declared["cell_id"],
            )
        records[task.stem] = OutputRecord(
            name=task.stem, kind="notebook", title=result.title, description="",
            files=(self.project.rel(task.notebook_out),), schema={}, cell=None, cell_id="",
        )
        return dict(sorted(records.items()))

    def _updated_manifest(
        self,
        manifest: Manifest,
        task: Task,
        outputs: dict[str, str],
        records: dict[str, OutputRecord],
    ) -> Manifest:
        """A copy of ``manifest`` with ``task``'s new entry (outputs that moved to it too)."""
        entries = {}
        for stem, entry in manifest.notebooks.items():
            if stem != task.stem:
                kept = {k: v for k, v in entry.outputs.items() if k not in outputs}
                described = {k: v for k, v in entry.declared.items() if k not in records}
                entries[stem] = replace(entry, outputs=kept, declared=described)
        entries[task.stem] = ManifestEntry(
            self.project.rel(task.notebook), dict(task.parameters), dict(task.inputs), outputs,
            records, task.environment,
        )
        return Manifest(manifest.path, dict(sorted(entries.items())))

    def _remove_output(self, rel: str, dest_dir: Path, why: str) -> None:
        """Delete an output no notebook produces any more (only inside ``dest_dir``)."""
        path = self.project.root / rel
        owners = [stem for m in self.manifests.values() for stem in m.owners(rel)]
        try:
            path.resolve().relative_to(dest_dir.resolve())
        except ValueError:
            return
        if owners or not path.is_file():
            return
        path.unlink()
        self.log(f"removed {rel} ({why})")

    def prune(self, existing: Iterable[Path]) -> None:
        """Forget notebooks that no longer exist and remove the files only they recorded."""
        stems = {p.stem for p in existing}
        path = self.project.manifest
        manifest = self.manifests.setdefault(path, load_manifest(path))
        gone = sorted(set(manifest.notebooks) - stems)
        if not gone:
            return
        with self.guard.hold():
            entries = {s: e for s, e in manifest.notebooks.items() if s not in gone}
            kept = Manifest(path, entries)
            self.manifests[path] = kept
            for stem in gone:
                for rel in sorted(manifest.notebooks[stem].outputs):
                    self._remove_output(
                        rel, self.project.figures_dir, f"notebook {stem} no longer exists"
                    )
                self.log(f"forgot {stem} (notebook no longer exists)")
            atomic_write_many({
                path: kept.to_bytes(),
                path.parent / DATAPACKAGE_NAME: datapackage_bytes(kept, self.project.root),
            })

    def save_failed(self, task: Task, result: Result) -> Path | None:
        """Keep a failed run's executed notebook in ``runs/failed/``."""
        if not result.notebook:
            return None
        target = self.project.failed_dir / task.notebook.name
        replace_group([(Path(result.notebook), target)], f"the failed notebook {task.stem}")
        return target


def replace_group(moves: Sequence[tuple[Path, Path]], what: str) -> None:
    """Move every ``(source, target)`` into place, or none of them (:func:`replace_all`).

    Args:
        moves: Files to move (a target folder may be on another filesystem).
        what: What the files are, for the error message.

    Raises:
        NoSpaceError: A filesystem was full or over quota; every target is as it was before.
        SaveError: Another failure to move a file; every target is as it was before.
    """
    try:
        replace_all(moves)
    except OSError as error:
        if is_no_space(error):
            raise NoSpaceError(error.filename or moves[0][1]) from None
        where = f" ({error.filename})" if error.filename else ""
        raise SaveError(
            f"cannot save {what}: {error.strerror or error}{where}; nothing of it was changed"
        ) from None
