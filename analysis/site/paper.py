"""Build the research note as a PDF: ``python -m analysis paper`` (``make paper``).

The same source as the site's note page (``site/note.md``, rendered with the same Sphinx
configuration and extensions) goes through Sphinx's ``typst`` builder
(:mod:`analysis.site.typst`) and then the Typst compiler of the ``typst`` package, with only
the fonts inside that package, offline, tagged and checked against PDF/UA-1 by the
compiler (title, language, headings, alt text of every figure). ``SOURCE_DATE_EPOCH``
(default: the report's session, as for the site) fixes the PDF's dates, so two builds are
byte-identical.

Load → process → save: stage the note and ``conf.py`` into ``<out dir>-src/``; render the
Typst source into ``<out dir>-typst/`` (fresh each time); compile; write the PDF and
``<pdf>.d`` (the Makefile dependencies: every file the note's values, figures, references
and citation were computed from) together, atomically. Nothing is left half-written: on any
error the previous PDF stays.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import typst
from sphinx.cmd.build import build_main

from analysis import io, paths
from analysis.site.build import SOURCE_DIR, SiteBuildError, source_date_epoch, sphinx_args

#: The note's docname (``site/note.md``) and the PDF's default path.
NOTE = "note"
PAPER_DIR: Path = paths.BUILD_DIR / "paper"
PAPER: Path = PAPER_DIR / f"{NOTE}.pdf"
#: PDF standard the compiler checks the note against (Typst tags every PDF it writes).
PDF_STANDARD = "ua-1"


@dataclass(frozen=True)
class PaperInputs:
    """The folders and files the note is built from (the real ones by default)."""

    notebooks: Path = paths.NOTEBOOKS_DIR
    figures: Path = paths.FIGURES_DIR
    processed: Path = paths.PROCESSED_DIR
    raw: Path = paths.RAW_REPORT
    citation: Path = paths.ROOT / "CITATION.cff"
    lock: Path = paths.LOCK_FILE

    def overrides(self) -> list[str]:
        """``-D name=value`` settings of the site's config values."""
        settings = {
            "compendium_raw": self.raw, "compendium_processed": self.processed,
            "compendium_figures": self.figures, "compendium_notebooks": self.notebooks,
            "compendium_citation": self.citation, "compendium_lock": self.lock,
        }
        return [f"{name}={Path(value).resolve()}" for name, value in settings.items()]


def stage(stage_dir: Path) -> None:
    """Stage the Sphinx source of the PDF: ``conf.py``, the note, the static folder.

    They are copied from ``site/``; the site's other pages are left out.
    """
    shutil.rmtree(stage_dir, ignore_errors=True)
    shutil.copytree(SOURCE_DIR / "_static", stage_dir / "_static")
    (stage_dir / "_extra").mkdir()
    for name in ("conf.py", f"{NOTE}.md"):
        shutil.copyfile(SOURCE_DIR / name, stage_dir / name)


def render_typst(stage_dir: Path, typst_dir: Path, doctrees: Path, inputs: PaperInputs) -> Path:
    """Run Sphinx's ``typst`` builder; return the ``.typ`` file.

    Raises:
        SiteBuildError: Sphinx reported an error or a warning (``-W``).
    """
    for folder in (typst_dir, doctrees):
        shutil.rmtree(folder, ignore_errors=True)
    args = sphinx_args("typst", doctrees, [f"root_doc={NOTE}", *inputs.overrides()])
    status = build_main([*args, str(stage_dir), str(typst_dir)])
    if status != 0:
        raise SiteBuildError(f"sphinx-build -b typst failed on {stage_dir} (exit {status})")
    return typst_dir / f"{NOTE}.typ"


def compile_pdf(source: Path) -> bytes:
    """Compile the Typst source with the package's own fonts, dates from SOURCE_DATE_EPOCH.

    Raises:
        SiteBuildError: The compiler refused the document (the message says why).
    """
    try:
        return typst.compile(
            str(source), root=str(source.parent), ignore_system_fonts=True, font_paths=[],
            pdf_standards=PDF_STANDARD, timestamp=int(os.environ["SOURCE_DATE_EPOCH"]),
        )
    except typst.TypstError as exc:
        raise SiteBuildError(f"typst could not compile {source}: {exc}") from None


def _shown(path: Path, staged: Path) -> str:
    """A dependency as the Makefile names it: staged copies mapped back to ``site/``."""
    path = Path(path).resolve()
    if path.is_relative_to(staged.resolve()):
        path = SOURCE_DIR / path.relative_to(staged.resolve())
    return _make_name(path)


def _make_name(path: Path) -> str:
    """A file as the Makefile names it: relative to the project root when inside it."""
    path = Path(path).resolve()
    return path.relative_to(paths.ROOT).as_posix() if path.is_relative_to(paths.ROOT) else (
        path.as_posix()
    )


def dependencies(target: Path, inputs: Iterable[str]) -> str:
    """A Makefile rule ``target: inputs``, plus an empty rule per input.

    The empty rules make a deleted input mark the PDF stale instead of stopping make.
    """
    names = sorted(set(inputs))
    lines = [f"{_make_name(target)}: \\"] + [f"  {name} \\" for name in names] + [""]
    lines += [f"{name}:" for name in names]
    return "\n".join(lines) + "\n"


def build_paper(out: Path = PAPER, inputs: PaperInputs | None = None) -> Path:
    """Build the note's PDF at ``out`` (and its dependencies at ``<out>.d``); return ``out``.

    Raises:
        SiteBuildError: Sphinx or the compiler failed; ``out`` is untouched.
    """
    inputs = inputs or PaperInputs()
    out = Path(out)
    work = out.parent
    stage_dir, typst_dir, doctrees = (
        work.parent / f"{work.name}-{part}" for part in ("src", "typst", "doctrees")
    )
    stage(stage_dir)
    with source_date_epoch():
        source = render_typst(stage_dir, typst_dir, doctrees, inputs)
        pdf = compile_pdf(source)
    used = (source.parent / f"{NOTE}.inputs").read_text(encoding="utf-8").split()
    depends = dependencies(out, (_shown(Path(name), stage_dir) for name in used))
    work.mkdir(parents=True, exist_ok=True)
    io.atomic_write_many({out: pdf, out.with_name(out.name + ".d"): depends})
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis paper [--out FILE]``: build the PDF and print its path."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis paper",
        description="Build the research note (site/note.md) as a PDF with Typst.",
    )
    parser.add_argument("--out", type=Path, default=PAPER,
                        help=f"PDF file (default: {PAPER.relative_to(paths.ROOT)})")
    defaults = PaperInputs()
    for name in ("figures", "processed", "notebooks"):
        parser.add_argument(f"--{name}", type=Path, default=getattr(defaults, name),
                            help=f"read the {name} from this folder instead (a scratch copy)")
    args = parser.parse_args(argv)
    inputs = PaperInputs(figures=args.figures, processed=args.processed,
                         notebooks=args.notebooks)
    started = time.perf_counter()
    try:
        pdf = build_paper(args.out, inputs)
    except (SiteBuildError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = pdf.stat().st_size
    print(f"{pdf} ({size / 1024:.0f} KiB, {time.perf_counter() - started:.1f} s)")
    return 0
