"""Build the site: stage the Sphinx sources, render them, swap the result into place.

Staging (``build/site-src/``, rebuilt every time): the committed Sphinx folder ``site/``;
a copy of each executed notebook with anchors, alt text and data links around its figures
(:func:`analysis.site.figures.staged_notebook`); the generated report-viewer pages; and, as
``html_extra_path``, the figures and the processed and raw data, so they are served at
``figures/``, ``data/processed/`` and ``data/raw/``. Sphinx then writes into a fresh folder
(its environment pickles go to ``build/site-doctrees/``, outside the site) that replaces
``build/site/`` only when the build succeeded. ``SOURCE_DATE_EPOCH`` defaults to the raw
report's date so that two builds are byte-identical.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

import nbformat
from sphinx.cmd.build import build_main

from analysis import paths
from analysis.site.figures import figures_manifest, notebook_figures, staged_notebook
from analysis.site.viewer import load_viewer, page_markdown

#: The committed Sphinx source folder (conf.py, pages, static assets).
SOURCE_DIR: Path = paths.ROOT / "site"
#: Fixed build date (the report's session, March 2016) unless SOURCE_DATE_EPOCH is set.
DEFAULT_EPOCH = "1456790400"
_FIGURE_SUFFIXES = (".png", ".svg", ".csv", ".pdf")


class SiteBuildError(RuntimeError):
    """Sphinx failed; the previous site is left in place."""


def _copy_files(files: Iterable[Path], target: Path) -> None:
    """Copy files into ``target`` (created)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, target / path.name)


def stage(stage_dir: Path, notebooks: Path, figures: Path, processed: Path, raw: Path) -> None:
    """Write the complete Sphinx source tree into ``stage_dir`` (replaced)."""
    shutil.rmtree(stage_dir, ignore_errors=True)
    shutil.copytree(SOURCE_DIR, stage_dir, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = figures_manifest(figures)
    for notebook in sorted(notebooks.glob("*.ipynb")):
        target = stage_dir / "notebooks" / notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        drawn = notebook_figures(manifest, notebook.stem)
        nbformat.write(staged_notebook(notebook, drawn), target)
    viewer = load_viewer(raw, processed)
    for page in viewer.pages:
        (stage_dir / f"{page.docname}.md").write_text(page_markdown(viewer, page), "utf-8")
    extra = stage_dir / "_extra"
    _copy_files(sorted(p for p in figures.iterdir() if p.suffix in _FIGURE_SUFFIXES),
                extra / "figures")
    _copy_files(sorted(processed.glob("*.csv")), extra / "data" / "processed")
    _copy_files([raw], extra / "data" / "raw")


@contextmanager
def source_date_epoch() -> Iterable[None]:
    """Set ``SOURCE_DATE_EPOCH`` for the build unless the caller set it."""
    had = "SOURCE_DATE_EPOCH" in os.environ
    os.environ.setdefault("SOURCE_DATE_EPOCH", DEFAULT_EPOCH)
    try:
        yield
    finally:
        if not had:
            del os.environ["SOURCE_DATE_EPOCH"]


def sphinx_args(builder: str, doctrees: Path, settings: Sequence[str]) -> list[str]:
    """The ``sphinx-build`` options of the compendium's builds (the site and the note's PDF).

    Quiet, warnings as errors (all reported), one process, the doctrees in ``doctrees``, and
    each ``name=value`` setting as ``-D``.
    """
    args = ["-b", builder, "-q", "-W", "--keep-going", "-j", "1", "-d", str(doctrees)]
    for setting in settings:
        args += ["-D", setting]
    return args


def build_site(
    out: Path = paths.SITE_DIR,
    notebooks: Path = paths.NOTEBOOKS_DIR,
    figures: Path = paths.FIGURES_DIR,
    processed: Path = paths.PROCESSED_DIR,
    raw: Path = paths.RAW_REPORT,
) -> Path:
    """Build the site into ``out`` and return its ``index.html``.

    Raises:
        SiteBuildError: Sphinx reported an error or a warning (``-W``); ``out`` is untouched.
    """
    out = Path(out)
    work = out.parent
    stage_dir, doctrees, fresh = (
        work / f"{out.name}-{part}" for part in ("src", "doctrees", "new")
    )
    stage(stage_dir, Path(notebooks), Path(figures), Path(processed), Path(raw))
    shutil.rmtree(doctrees, ignore_errors=True)
    shutil.rmtree(fresh, ignore_errors=True)
    overrides = [
        f"compendium_{name}={Path(value).resolve()}"
        for name, value in (("raw", raw), ("processed", processed), ("figures", figures),
                            ("notebooks", notebooks))
    ]
    args = sphinx_args("html", doctrees, overrides)
    with source_date_epoch():
        status = build_main([*args, str(stage_dir), str(fresh)])
    if status != 0:
        shutil.rmtree(fresh, ignore_errors=True)
        raise SiteBuildError(f"sphinx-build failed on {stage_dir} (exit {status}); {out} kept")
    (fresh / ".buildinfo").unlink(missing_ok=True)
    # The download button serves _sources/: the committed notebooks, not the staged copies.
    _copy_files(sorted(Path(notebooks).glob("*.ipynb")), fresh / "_sources" / "notebooks")
    shutil.rmtree(out, ignore_errors=True)
    fresh.rename(out)
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis report [--out DIR]``: build the site and print its index path."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis report",
        description="Build the compendium's site (Sphinx + MyST-NB) into build/site/.",
    )
    parser.add_argument("--out", type=Path, default=paths.SITE_DIR,
                        help="site folder (default: build/site)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        index = build_site(args.out)
    except (SiteBuildError, OSError, ValueError) as exc:
        # OSError: a missing input file (named in the message); ValueError: a raw report
        # that fails its checksum or parse (analysis.dataset.source.SourceError).
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{index} ({time.perf_counter() - started:.1f} s)")
    return 0
