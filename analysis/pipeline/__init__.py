"""Execute the compendium's notebooks with papermill: incrementally, in parallel, reproducibly.

The pipeline runs every ``notebooks/NN-topic.ipynb`` with :func:`papermill.execute_notebook`
inside worker processes forked from a forkserver (each kernel is a subprocess of its worker),
with the kernel's working directory set to the notebook's folder, the way nbval runs it. Each
worker launches the kernel itself (and hands it to papermill), so the kernel boots while
papermill is being imported, and a worker with more notebooks coming starts the next kernel
while the current notebook runs. Kernels get ``SOURCE_DATE_EPOCH=0`` and ``PYTHONHASHSEED=0``
unless those are set.

* Default parameters update the canonical executed notebook in place and its figure files in
  ``figures/``; any non-default parameter sends the executed notebook and its outputs to
  ``runs/<stem>-<hash>/`` and leaves the canonical files alone.
* A notebook writes its outputs to ``analysis.paths.output_dir(output_dir)``; the pipeline
  points that at a staging folder (environment variable
  :data:`analysis.paths.OUTPUT_DIR_ENV`) and moves the files into place with
  :func:`os.replace` only after the notebook succeeded.
* Executed notebooks are normalised (papermill's timestamps and nbclient's timings removed,
  streams coalesced, cell ids made deterministic) so that re-running gives the same bytes.
* ``figures/MANIFEST.json`` records, per notebook, the SHA-256 digests of its inputs and of its
  outputs; a notebook whose inputs and outputs are unchanged is skipped.

This module imports only the standard library at import time; papermill, nbformat and YAML
are imported when a notebook actually has to be inspected or executed, so a run in which
everything is skipped stays fast.
"""

from analysis.pipeline.manifest import load_manifest
from analysis.pipeline.parameters import (
    Parameter,
    declared_parameters,
    describe_notebooks,
    load_parameter_file,
    parameters_digest,
    parse_cli_value,
    validate_parameters,
)
from analysis.pipeline.plan import Task, plan
from analysis.pipeline.project import (
    NOTEBOOK_GLOB,
    ParameterError,
    PipelineError,
    Project,
    discover_notebooks,
    resolve_notebooks,
)
from analysis.pipeline.runner import Outcome, RunSummary, run_notebooks
from analysis.pipeline.verify import VerifyResult, copy_project, verify

__all__ = [
    "NOTEBOOK_GLOB",
    "Outcome",
    "Parameter",
    "ParameterError",
    "PipelineError",
    "Project",
    "RunSummary",
    "Task",
    "VerifyResult",
    "copy_project",
    "declared_parameters",
    "describe_notebooks",
    "discover_notebooks",
    "load_manifest",
    "load_parameter_file",
    "parameters_digest",
    "parse_cli_value",
    "plan",
    "resolve_notebooks",
    "run_notebooks",
    "validate_parameters",
    "verify",
]
