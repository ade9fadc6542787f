"""Command line of the compendium: ``python -m analysis`` (or ``japan-compendium``).

Commands:
    extract   Build ``data/processed/`` from the raw report
              (``analysis.dataset.build.build_all``).
    run       Execute notebooks with papermill (incremental, parallel, deterministic).
    list      Show the notebooks and their declared parameters.
    verify    Re-run everything in a scratch copy, grade every output and give a verdict.
    report    Build the site (Sphinx + MyST-NB) in build/site (``analysis.site.main``).
    paper     Build the research note as a PDF in build/paper (``analysis.site.paper.main``).

Exit status: 0 success (``verify``: reproduced, or reproduced within tolerance; with
``--exact`` every output byte-identical); 1 a notebook failed, outputs could not be saved,
outputs were not reproduced (``verify``: partially or not reproduced) or the data is
inconsistent (``extract``, the provenance check of ``run``); 2 a usage error refused before
any kernel starts (unknown or mistyped parameter, unknown notebook, bad parameter file, bad
``replication.yaml``, ...); 3 no space left on a filesystem the command writes to (full or
over quota); 130, 143, 129 stopped by SIGINT, SIGTERM, SIGHUP. Every expected failure prints
one ``error:`` line; ``--verbose`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeAlias

from analysis import paths, pipeline
from analysis.dataset.provenance import check_statistics
from analysis.io import is_no_space
from analysis.pipeline.signals import SignalGuard

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NO_SPACE = pipeline.NoSpaceError.exit_code
EXIT_INTERRUPTED = 130
#: Failures reported as one ``error:`` line with exit status 1: the dataset layer's checks
#: raise ``ValueError`` subclasses (checksum, spec, validation, provenance), file-system
#: problems ``OSError``. Anything else is a bug and keeps its traceback.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError)


def _say(line: str) -> None:
    print(line, flush=True)


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m analysis``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Japan 2015 Special Rapporteur report compendium: data, notebooks, figures.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print the traceback of an error too"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_extract_command(commands)
    _add_run_command(commands)
    _add_list_command(commands)
    _add_verify_command(commands)
    _add_report_command(commands)
    _add_paper_command(commands)
    return parser


#: What ``ArgumentParser.add_subparsers`` returns: the sub-command registry.
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_extract_command(commands: _Commands) -> None:
    """Add ``extract``: build data/processed/ from the raw report."""
    commands.add_parser(
        "extract",
        help="build data/processed/ from the raw report",
        description=(
            "Build the processed tables from the raw report (analysis.dataset.build.build_all)."
        ),
    )


def _add_run_command(commands: _Commands) -> None:
    """Add ``run``: execute notebooks with papermill (parameters, jobs, force, sweep)."""
    run = commands.add_parser(
        "run",
        help="execute notebooks with papermill",
        description=(
            "Execute notebooks (default: all notebooks/NN-*.ipynb). With default parameters the "
            "executed notebook replaces notebooks/<name>.ipynb and its outputs go to figures/; "
            "with any non-default parameter both go to runs/<stem>-<hash>/. Notebooks whose "
            "inputs and outputs match figures/MANIFEST.json are skipped."
        ),
    )
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebook path or stem")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter (numbers inferred as papermill -p does; repeatable)",
    )
    run.add_argument(
        "-f", "--parameters-file", metavar="FILE", help="YAML mapping of parameters (-p wins)"
    )
    run.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        default=None,
        help=f"notebooks at once (default: number of CPUs, {os.cpu_count()})",
    )
    run.add_argument("--force", action="store_true", help="run even if nothing changed")
    run.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help=(
            "run one NOTEBOOK at every combination of these values (repeatable), in parallel, "
            "and write runs/<notebook>-sweep-<hash>/summary.csv"
        ),
    )


def _add_list_command(commands: _Commands) -> None:
    """Add ``list``: show notebooks and their parameters."""
    listing = commands.add_parser("list", help="list notebooks and their parameters")
    listing.add_argument("notebooks", nargs="*", metavar="NOTEBOOK")


def _add_verify_command(commands: _Commands) -> None:
    """Add ``verify``: re-run everything in a scratch copy and compare outputs."""
    verify = commands.add_parser(
        "verify",
        help="re-run everything in a scratch copy and grade every output",
        description=(
            "Copy the project to a temporary folder, run extract and run --force there and "
            "grade each output (data/processed/*, data/datapackage.json, notebooks/*.ipynb, "
            "figures/*) against the working tree (which is not modified): identical, "
            "equivalent, within tolerance (replication.yaml) or differs. The last line is the "
            "verdict: reproduced or reproduced within tolerance (exit 0), partially or not "
            "reproduced (exit 1). build/verify/index.html and report.json hold the report."
        ),
    )
    verify.add_argument("-j", "--jobs", type=_positive, default=None)
    verify.add_argument("--keep", action="store_true", help="keep the scratch copy")
    verify.add_argument(
        "--exact",
        action="store_true",
        help="the byte-identical contract: exit 0 only if every output is identical "
        "(on the machine and environment that made the outputs)",
    )


def _add_report_command(commands: _Commands) -> None:
    """Add ``report``: build the site; its arguments pass through to analysis.site."""
    report = commands.add_parser(
        "report", help="build the site in build/site (analysis.site)", add_help=False
    )
    report.add_argument("args", nargs=argparse.REMAINDER)


def _add_paper_command(commands: _Commands) -> None:
    """Add ``paper``: build the note's PDF; its arguments pass through to analysis.site.paper."""
    paper = commands.add_parser(
        "paper", help="build the research note as a PDF in build/paper (analysis.site.paper)",
        add_help=False,
    )
    paper.add_argument("args", nargs=argparse.REMAINDER)


def cmd_extract(args: argparse.Namespace) -> int:
    """Run the extraction stage (``analysis.dataset.build.build_all``)."""
    try:
        from analysis.dataset.build import build_all
    except ImportError as exc:
        _error(f"the extraction stage is not available ({exc})")
        return EXIT_FAILED
    written = build_all()
    project = pipeline.Project.default()
    for name, path in sorted((written or {}).items()):
        _say(f"wrote {project.rel(Path(path))} ({name})")
    return EXIT_OK


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if args.parameters_file:
        values.update(pipeline.load_parameter_file(args.parameters_file))
    for name, value in args.parameter:
        values[name] = pipeline.parse_cli_value(value)
    return values


def cmd_run(args: argparse.Namespace) -> int:
    """Check the processed data, execute notebooks, print a line per notebook and a summary."""
    project = pipeline.Project.default()
    selected = pipeline.resolve_notebooks(project, args.notebooks) if args.notebooks else None
    if selected is None and not pipeline.discover_notebooks(project):
        where = project.rel(project.notebooks_dir)
        _say(f"no notebooks matching {pipeline.NOTEBOOK_GLOB} in {where}/")
        return EXIT_OK
    parameters = _parameters(args)
    sweep = pipeline.parse_sweep(args.sweep, parameters) if args.sweep else None
    if sweep is not None and (selected is None or len(selected) != 1):
        raise pipeline.ParameterError("--sweep runs exactly one NOTEBOOK; name it")
    check_statistics(project.processed_dir / paths.STATISTICS_CSV.name)  # before any kernel
    if sweep is not None and selected is not None:
        summary, table = pipeline.run_sweep(
            project, selected[0], sweep, jobs=args.jobs, force=args.force, log=_say
        )
        if summary.ok:
            _say(f"wrote {project.rel(table)} ({len(sweep.points())} runs)")
    else:
        summary = pipeline.run_notebooks(
            project, selected, parameters, jobs=args.jobs, force=args.force, log=_say
        )
    _say(summary.line())
    if not summary.ok:
        for outcome in summary.outcomes:
            if outcome.status == "failed":
                _error(f"notebook {outcome.notebook} failed: {outcome.message}")
        return EXIT_FAILED
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    """Print the notebooks and their declared parameters."""
    project = pipeline.Project.default()
    selected = pipeline.resolve_notebooks(project, args.notebooks) if args.notebooks else None
    text = pipeline.describe_notebooks(project, selected)
    _say(text or "no notebooks")
    return EXIT_OK


#: Differences named per output on the command line (the report lists them all).
VERIFY_SHOWN = 5


def cmd_verify(args: argparse.Namespace) -> int:
    """Reproduce every output in a scratch copy; name what is not identical; give the verdict."""
    result = pipeline.verify(
        pipeline.Project.default(), jobs=args.jobs, log=_say, keep=args.keep, exact=args.exact
    )
    for comparison in result.comparisons:
        if comparison.grade is pipeline.Grade.IDENTICAL:
            continue
        _say(f"{comparison.grade.value}: {comparison.rel}: {comparison.summary}")
        if comparison.grade is pipeline.Grade.EQUIVALENT:
            continue
        for difference in comparison.differences[:VERIFY_SHOWN]:
            _say(f"  {comparison.rel}: {difference.describe()}")
        more = comparison.total_differences - min(VERIFY_SHOWN, len(comparison.differences))
        if more > 0:
            _say(f"  ... and {more} more (see the report)")
    if result.report is not None and result.data is not None:
        _say(f"verify: report in {project_rel(result.report)} and {project_rel(result.data)}")
    _say(result.verdict_line())
    return EXIT_OK if result.verdict().ok else EXIT_FAILED


def project_rel(path: Path) -> str:
    """A path relative to the project's root when it is inside it."""
    return pipeline.Project.default().rel(path)


def cmd_report(args: argparse.Namespace) -> int:
    """Delegate to ``analysis.site.main(argv)``."""
    try:
        from analysis.site import main as report_main
    except ImportError as exc:
        _error(f"the report stage is not available ({exc})")
        return EXIT_FAILED
    return int(report_main(list(args.args)) or 0)


def cmd_paper(args: argparse.Namespace) -> int:
    """Delegate to ``analysis.site.paper.main(argv)``."""
    try:
        from analysis.site.paper import main as paper_main
    except ImportError as exc:
        _error(f"the paper stage is not available ({exc})")
        return EXIT_FAILED
    return int(paper_main(list(args.args)) or 0)


#: The subcommands and the function that runs each (read-only).
COMMANDS: Mapping[str, Callable[[argparse.Namespace], int]] = MappingProxyType({
    "extract": cmd_extract,
    "run": cmd_run,
    "list": cmd_list,
    "verify": cmd_verify,
    "report": cmd_report,
    "paper": cmd_paper,
})


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the command and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    verbose = argv[:1] in (["-v"], ["--verbose"])
    command = argv[int(verbose) : int(verbose) + 1]
    if command in (["report"], ["paper"]):
        # argparse's REMAINDER does not capture leading options: hand them over verbatim.
        args = parser.parse_args(command)
        args.args, args.verbose = argv[int(verbose) + 1 :], verbose
    else:
        args = parser.parse_args(argv)
    try:
        with SignalGuard():
            return COMMANDS[args.command](args)
    except pipeline.Interrupted as stop:
        name = signal.Signals(stop.signum).name
        _error(f"stopped by {name}; workers and kernels stopped, no partial outputs kept")
        return stop.exit_code
    except KeyboardInterrupt:
        _error("interrupted; workers and kernels stopped, no partial outputs kept")
        return EXIT_INTERRUPTED
    except pipeline.PipelineError as exc:
        return _fail(args, exc, exc.exit_code)
    except EXPECTED_ERRORS as exc:
        return _fail(args, exc, EXIT_NO_SPACE if is_no_space(exc) else EXIT_FAILED)


def _fail(args: argparse.Namespace, exc: Exception, code: int) -> int:
    """Report an expected failure as one ``error:`` line (and its traceback if verbose)."""
    if args.verbose:
        traceback.print_exception(exc, file=sys.stderr)
    _error(str(exc) or type(exc).__name__)
    return code
