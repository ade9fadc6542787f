"""Execute the compendium's notebooks with papermill: incrementally, in parallel, reproducibly.

The pipeline runs every ``notebooks/NN-topic.ipynb`` with :func:`papermill.execute_notebook`
in a worker process of its own (in its own process group), at most ``--jobs`` at once. A
launcher process (:mod:`.launcher`, one per run) imports papermill,
ipykernel and the scientific stack once and forks a pristine worker per notebook; each worker
forks its kernel, with the notebook's folder as working directory, the way nbval runs it, so
no notebook's kernel shares state with another's and none pays the imports again. Kernels
get ``SOURCE_DATE_EPOCH=0`` and ``PYTHONHASHSEED=0`` unless those are set. The parent stops
every worker and kernel, and removes the staging folder, whatever ends the run (a signal, a
failure while saving, a full disk, an error).

Modules: :mod:`.project` (layout, errors), :mod:`.parameters`, :mod:`.manifest` (input digests,
manifest entries), :mod:`.plan`, :mod:`.jobs` (what a worker gets and returns),
:mod:`.supervisor` (process supervision), :mod:`.launcher` (imports once, forks the workers),
:mod:`.worker` and :mod:`.kernels` (the worker side),
:mod:`.commit` (outputs moved into place as a group), :mod:`.signals`, :mod:`.runner`,
:mod:`.sweep` (one notebook over a grid of parameters), :mod:`.environment` (the
environment a run is recorded in), :mod:`.verify` (re-run and grade every output:
:mod:`.replication` the grades, tolerances and verdict, :mod:`.compare` the comparing,
:mod:`.verify_report` the report).

* Default parameters update the canonical executed notebook in place and its figure files in
  ``figures/``; any non-default parameter sends the executed notebook and its outputs to
  ``runs/<stem>-<hash>/`` and leaves the canonical files alone.
* A notebook writes its outputs to the folder of its output context
  (:func:`analysis.notebook.start`, :func:`analysis.outputs.output_folder`); the pipeline
  points that at a staging folder (environment variable
  :data:`analysis.paths.OUTPUT_DIR_ENV`) and moves the files into place
  (:func:`analysis.io.replace_all`: renames within each target's folder, copies when it is
  on another filesystem), all of a notebook's files or none, only after the notebook
  succeeded. A full filesystem ends the run with one error (:class:`.NoSpaceError`).
* Executed notebooks are normalised (papermill's timestamps and nbclient's timings removed,
  streams coalesced, cell ids made deterministic) so that re-running gives the same bytes.
* ``figures/MANIFEST.json`` records, per notebook, the SHA-256 digests of its inputs and of its
  outputs and the environment it ran in; a notebook whose inputs and outputs are unchanged is
  skipped (a changed environment alone does not re-run it; ``run`` says so).

This module imports only the standard library at import time; papermill, nbformat and YAML
are imported when a notebook actually has to be inspected or executed, so a run in which
everything is skipped stays fast.
"""

from analysis.outputs import parameters_digest
from analysis.pipeline.commit import NotebookOutcome
from analysis.pipeline.manifest import load_manifest
from analysis.pipeline.parameters import (
    Parameter,
    declared_parameters,
    describe_notebooks,
    load_parameter_file,
    parse_cli_value,
    validate_parameters,
)
from analysis.pipeline.plan import Task, plan
from analysis.pipeline.project import (
    NOTEBOOK_GLOB,
    Interrupted,
    NoSpaceError,
    ParameterError,
    PipelineError,
    Project,
    SaveError,
    discover_notebooks,
    resolve_notebooks,
)
from analysis.pipeline.replication import Grade, Label, Verdict, VerifyResult
from analysis.pipeline.runner import RunSummary, run_notebooks
from analysis.pipeline.sweep import Sweep, parse_sweep, run_sweep
from analysis.pipeline.verify import copy_project, verify

__all__ = [
    "NOTEBOOK_GLOB",
    "Grade",
    "Label",
    "NoSpaceError",
    "NotebookOutcome",
    "Parameter",
    "ParameterError",
    "Interrupted",
    "PipelineError",
    "Project",
    "RunSummary",
    "SaveError",
    "Sweep",
    "Task",
    "Verdict",
    "VerifyResult",
    "copy_project",
    "declared_parameters",
    "describe_notebooks",
    "discover_notebooks",
    "load_manifest",
    "load_parameter_file",
    "parameters_digest",
    "parse_cli_value",
    "parse_sweep",
    "plan",
    "resolve_notebooks",
    "run_notebooks",
    "run_sweep",
    "validate_parameters",
    "verify",
]
