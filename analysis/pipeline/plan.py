"""Planning a run: where each notebook writes and whether it must run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.io import json_digest, sha256_file
from analysis.pipeline.environment import Environment, current_environment, environment_changes
from analysis.pipeline.manifest import (
    CODE_GROUP,
    Manifest,
    ManifestEntry,
    code_digest,
    load_manifest,
    notebook_source_digest,
    shared_input_digests,
)
from analysis.pipeline.parameters import (
    check_path_parameters,
    declared_parameters,
    run_dir,
    validate_parameters,
)
from analysis.pipeline.project import ParameterError, Project


@dataclass
class Task:
    """One notebook to consider in a run.

    Attributes:
        notebook: The (canonical) notebook to execute.
        parameters: Its non-default parameters (empty for a canonical run).
        dest_dir: Where its output files go (``figures/`` or ``runs/<stem>-<hash>/``).
        notebook_out: Where its executed notebook goes.
        manifest_path: The manifest recording this run.
        inputs: Digests of its inputs, by group.
        reason: Why it runs, or ``None`` when it is skipped.
        skip_reason: Why it is skipped.
        environment: The environment it runs in (recorded in its manifest entry).
    """

    notebook: Path
    parameters: dict[str, Any]
    dest_dir: Path
    notebook_out: Path
    manifest_path: Path
    inputs: dict[str, str | None]
    reason: str | None = None
    skip_reason: str = ""
    environment: Environment | None = None

    @property
    def stem(self) -> str:
        """The notebook's name without ``.ipynb``."""
        return self.notebook.stem

    @property
    def canonical(self) -> bool:
        """Whether this is a default-parameter run (writes canonical outputs)."""
        return not self.parameters


_INPUT_LABELS = {
    "notebook": "notebook source changed",
    "parameters": "parameters changed",
    CODE_GROUP: "package code it imports (or a file that code reads) changed",
    "data/processed/": "data/processed/ changed",
}


def why_run(project: Project, entry: ManifestEntry | None, inputs: Mapping[str, Any]) -> str:
    """Explain why a notebook must run; the empty string means it can be skipped.

    Args:
        project: The project (recorded output paths are relative to its root).
        entry: The notebook's manifest entry, if any.
        inputs: The current input digests.

    Returns:
        A reason such as ``"data/processed/ changed"`` or ``"output figures/a.png missing"``.
    """
    if not entry:
        return "not in the manifest"
    recorded = entry.inputs
    changed = [
        _INPUT_LABELS.get(key, f"{key} changed")
        for key in sorted(set(recorded) | set(inputs))
        if recorded.get(key) != inputs.get(key)
    ]
    if changed:
        return ", ".join(changed)
    outputs = entry.outputs
    if not outputs:
        return "no recorded outputs"
    for rel, digest in sorted(outputs.items()):
        path = project.root / rel
        if not path.is_file():
            return f"output {rel} missing"
        if sha256_file(path) != digest:
            return f"output {rel} changed"
    return ""


def environment_note(entry: ManifestEntry | None, current: Environment) -> str:
    """How the environment differs from the one ``entry`` was made in ("" when it does not).

    An environment change alone never makes a notebook stale (it is recorded, not an input):
    ``verify`` grades whether it changes the outputs, ``run --force`` re-runs.
    """
    if entry is None:
        return ""
    if entry.environment is None:
        return "the environment of its recorded run is unknown"
    changes = environment_changes(entry.environment, current)
    return f"environment changed: {', '.join(changes)}" if changes else ""


def plan(
    project: Project,
    notebooks: Sequence[Path],
    parameters: Mapping[str, Any] | None = None,
    *,
    force: bool = False,
) -> list[Task]:
    """Decide, for each notebook, where it writes and whether it must run.

    Parameters are validated (with :func:`declared_parameters`) before anything runs; with no
    parameters nothing heavy is imported.

    Args:
        project: The project.
        notebooks: The notebooks to consider.
        parameters: Requested parameters (the same for every notebook).
        force: Run even when inputs and outputs are unchanged.

    Returns:
        One task per notebook.

    Raises:
        ParameterError: A parameter is unknown to a notebook or has the wrong type.
    """
    requested = dict(parameters or {})
    shared = shared_input_digests(project)
    environment = current_environment()
    manifests: dict[Path, Manifest] = {}
    tasks = []
    declared = {nb: declared_parameters(nb) for nb in notebooks} if requested else {}
    for notebook in notebooks:
        effective = {}
        if requested:
            try:
                effective = validate_parameters(notebook.name, declared[notebook], requested)
            except ParameterError as error:
                unknown = [name for name in requested if name not in declared[notebook]]
                users = [nb.stem for nb in notebooks if unknown and unknown[0] in declared[nb]]
                if not users:
                    raise
                hint = f" (declared by {', '.join(users)}: select only those notebooks)"
                raise ParameterError(f"{error}{hint}") from None
        check_path_parameters(project.root, notebook.name, effective)
        if effective:
            dest = run_dir(project, notebook, effective)
            manifest_path = dest / "MANIFEST.json"
        else:
            dest = project.figures_dir
            manifest_path = project.manifest
        notebook_out = (
            project.notebooks_dir / notebook.name if not effective else dest / notebook.name
        )
        inputs = {
            "notebook": notebook_source_digest(notebook),
            "parameters": json_digest(effective),
            CODE_GROUP: code_digest(project, notebook),
            **shared,
        }
        task = Task(
            notebook, effective, dest, notebook_out, manifest_path, inputs,
            environment=environment,
        )
        if manifest_path not in manifests:
            manifests[manifest_path] = load_manifest(manifest_path)
        entry = manifests[manifest_path].notebooks.get(notebook.stem)
        reason = why_run(project, entry, inputs)
        note = environment_note(entry, environment)
        if force or reason:
            task.reason = "; ".join(filter(None, [reason or "--force", note]))
        elif note:
            task.skip_reason = (
                f"inputs unchanged ({note}; the environment is recorded, not an input: "
                "`verify` grades what it changes, `run --force` re-runs)"
            )
        else:
            task.skip_reason = "inputs unchanged"
        tasks.append(task)
    return tasks
