"""Grading a replication: the four grades of an output, the declared tolerances, the verdict.

``verify`` re-runs everything and grades each output against the committed one
(:mod:`analysis.pipeline.compare` does the comparing); this module holds what the grading
is made of, and imports nothing heavy:

- :data:`KINDS`: the kind of each output (figure, table, notebook, record), by path;
- :class:`Grade`: ``identical`` (same bytes), ``equivalent`` (same content), ``within
  tolerance`` (numbers or pixels within the declared tolerances), ``differs``;
- the tolerances and what carries no results, declared once in ``replication.yaml`` at the
  project root, are read by :mod:`analysis.pipeline.replication_spec`;
- :class:`Verdict`: one verdict for the whole re-run, in the manner of the AEA Data Editor's
  replication reports: *reproduced*, *reproduced within tolerance*, *partially reproduced*,
  *not reproduced*, with the counts per grade and the share of figures, tables and claims
  reproduced;
- :class:`Comparison` (one output graded, its :class:`Difference` s), :class:`ClaimCheck`
  (one claim's verdicts, committed and re-run) and :class:`VerifyResult` (everything ``verify``
  found, with the environments it compares), the typed records between comparing, the command
  line and the report.
"""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from analysis.pipeline.environment import Environment, environment_changes
from analysis.pipeline.manifest import Manifest
from analysis.pipeline.replication_spec import ReplicationSpec

#: Kind of each output, by the first matching pattern on its path relative to the root.
KINDS: tuple[tuple[str, str], ...] = (
    ("figures/MANIFEST.json", "manifest"),
    ("*.ipynb", "notebook"),
    ("*.csv", "table"),
    ("*.png", "image"),
    ("*.svg", "svg"),
    ("*.json", "json"),
    ("*.txt", "text"),
    ("*.md", "text"),
    ("*.html", "text"),
    ("*.yaml", "text"),
)


def kind_of(rel: str) -> str:
    """Return the kind of an output path, from :data:`KINDS` (``binary`` when none match)."""
    for pattern, kind in KINDS:
        if fnmatch.fnmatch(rel, pattern):
            return kind
    return "binary"


def result_group(rel: str) -> str | None:
    """The group of results an output belongs to: ``figures``, ``tables`` or ``None``."""
    if kind_of(rel) == "table":
        return "tables"
    if rel.startswith("figures/") and Path(rel).suffix in (".png", ".svg", ".pdf"):
        return "figures"
    return None


class Grade(enum.Enum):
    """How a re-run's output compares with the committed one, from best to worst."""

    IDENTICAL = "identical"
    EQUIVALENT = "equivalent"
    WITHIN_TOLERANCE = "within tolerance"
    DIFFERS = "differs"

    @property
    def rank(self) -> int:
        """0 for identical up to 3 for differs."""
        return _ORDER.index(self)

    @property
    def reproduced(self) -> bool:
        """Whether an output of this grade counts as reproduced (all but ``differs``)."""
        return self is not Grade.DIFFERS


_ORDER: tuple[Grade, ...] = tuple(Grade)

#: What each grade means, as the report and ``verify`` explain it.
GRADE_MEANINGS: Mapping[Grade, str] = MappingProxyType(
    {
        Grade.IDENTICAL: "the same bytes",
        Grade.EQUIVALENT: (
            "other bytes, the same content: a PNG with the same decoded pixels; a CSV equal "
            "cell by cell once parsed; a notebook, SVG or JSON record equal once what carries "
            "no results (environment metadata, digests of files compared on their own) is "
            "dropped"
        ),
        Grade.WITHIN_TOLERANCE: (
            "decimal numbers equal within the declared relative and absolute tolerances "
            "(whole numbers and text exactly), or a PNG whose pixels differ by at most the "
            "declared RMS"
        ),
        Grade.DIFFERS: (
            "anything else, including an output the re-run did not produce or produced "
            "only there"
        ),
    }
)


def worst(grades: Iterable[Grade], floor: Grade = Grade.IDENTICAL) -> Grade:
    """Return the worst of ``grades`` (``floor`` when there are none or all are better)."""
    return max((floor, *grades), key=lambda grade: grade.rank)


# ---- the verdict -------------------------------------------------------------------------


class Label(enum.Enum):
    """The overall verdict of a re-run."""

    REPRODUCED = "reproduced"
    WITHIN_TOLERANCE = "reproduced within tolerance"
    PARTIAL = "partially reproduced"
    NOT_REPRODUCED = "not reproduced"


#: What each verdict means.
LABEL_MEANINGS: Mapping[Label, str] = MappingProxyType(
    {
        Label.REPRODUCED: "every output identical or equivalent",
        Label.WITHIN_TOLERANCE: (
            "no output differs; some are equal only within the declared tolerances"
        ),
        Label.PARTIAL: "some outputs differ; the shares of figures, tables and claims say which",
        Label.NOT_REPRODUCED: "no figure, table or claim was reproduced, or the re-run failed",
    }
)


@dataclass(frozen=True)
class Share:
    """How many results of one group were reproduced.

    Attributes:
        group: ``figures``, ``tables`` or ``claims``.
        reproduced: How many were reproduced (graded better than ``differs``).
        total: How many there are.
    """

    group: str
    reproduced: int
    total: int

    def describe(self) -> str:
        """E.g. ``"figures 14 of 15"``."""
        return f"{self.group} {self.reproduced} of {self.total}"


@dataclass(frozen=True)
class Verdict:
    """The verdict of a re-run.

    Attributes:
        label: The graded verdict.
        counts: Outputs per grade, every grade listed (best first).
        shares: Figures, tables and claims reproduced.
        exact: Whether the byte-identical contract (``verify --exact``) applies.
        ok: Whether ``verify`` succeeds: reproduced (within tolerance) when graded; every
            output identical with ``exact``.
    """

    label: Label
    counts: tuple[tuple[Grade, int], ...]
    shares: tuple[Share, ...]
    exact: bool
    ok: bool

    def count(self, grade: Grade) -> int:
        """How many outputs have ``grade``."""
        return dict(self.counts)[grade]

    def counts_text(self) -> str:
        """E.g. ``"51 identical, 7 equivalent, 0 within tolerance, 0 differ"``."""
        return ", ".join(
            f"{n} {'differ' if grade is Grade.DIFFERS and n != 1 else grade.value}"
            for grade, n in self.counts
        )

    def shares_text(self) -> str:
        """E.g. ``"reproduced: figures 15 of 15, tables 19 of 20, claims 12 of 12"``."""
        shown = [s.describe() for s in self.shares if s.total]
        return f"reproduced: {', '.join(shown)}" if shown else ""


def decide_verdict(
    grades: Sequence[Grade], shares: Sequence[Share], *, exact: bool = False
) -> Verdict:
    """Give the verdict of a re-run whose outputs have ``grades``.

    Args:
        grades: The grade of every output (missing and extra outputs are ``differs``).
        shares: The figures, tables and claims reproduced.
        exact: Apply the byte-identical contract: succeed only when every output is identical.

    Returns:
        *reproduced* when every output is identical or equivalent; *reproduced within
        tolerance* when none differs; *not reproduced* when outputs differ and no figure,
        table or claim (or, without any, no output) was reproduced; *partially reproduced*
        otherwise.
    """
    counts = tuple((grade, sum(1 for g in grades if g is grade)) for grade in Grade)
    top = worst(grades)
    if top is Grade.DIFFERS:
        results = sum(s.reproduced for s in shares)
        nothing = results == 0 if any(s.total for s in shares) else all(
            not g.reproduced for g in grades
        )
        label = Label.NOT_REPRODUCED if nothing else Label.PARTIAL
    elif top is Grade.WITHIN_TOLERANCE:
        label = Label.WITHIN_TOLERANCE
    else:
        label = Label.REPRODUCED
    ok = (
        all(g is Grade.IDENTICAL for g in grades)
        if exact
        else label in (Label.REPRODUCED, Label.WITHIN_TOLERANCE)
    )
    return Verdict(label, counts, tuple(shares), exact, ok)


# ---- the graded outputs ------------------------------------------------------------------

#: Most differences kept per output (the rest are counted).
MAX_DIFFERENCES = 200


@dataclass(frozen=True)
class Difference:
    """One place where a re-run's output differs from the committed one.

    Attributes:
        where: Where it is: ``row claim_id=x, column p_value``, a JSON path, a pixel box.
        committed: The committed value (as text).
        rerun: The re-run's value.
        grade: ``within tolerance`` or ``differs``.
        measure: How far apart, e.g. ``relative difference 2.9e-16``.
    """

    where: str
    committed: str
    rerun: str
    grade: Grade
    measure: str = ""

    def describe(self) -> str:
        """One line: ``row offence=x, column victims: 746 -> 747``."""
        measure = f" ({self.measure})" if self.measure else ""
        return f"{self.where}: {self.committed} → {self.rerun}{measure}"

    def to_json(self) -> dict[str, str]:
        """The difference as the machine-readable report records it."""
        return {
            "where": self.where,
            "committed": self.committed,
            "rerun": self.rerun,
            "class": self.grade.value,
            "measure": self.measure,
        }


@dataclass(frozen=True)
class Comparison:
    """How one output of the re-run compares with the committed one.

    Attributes:
        rel: The output's path relative to both roots.
        kind: Its kind (:data:`KINDS`).
        grade: Its grade.
        summary: One line saying what was found.
        cells: For a table, the number of cells compared.
        distance: For a PNG with other pixels, the RMS difference.
        differences: The differences kept (at most :data:`MAX_DIFFERENCES`).
        total_differences: How many there are.
        absent: ``""`` when both files exist; else the tree lacking it (``re-run`` for an
            output the re-run did not produce, ``committed`` for one only it produced).
    """

    rel: str
    kind: str
    grade: Grade
    summary: str
    cells: int | None = None
    distance: float | None = None
    differences: tuple[Difference, ...] = ()
    total_differences: int = 0
    absent: str = ""

    def to_json(self) -> dict[str, Any]:
        """The comparison as the machine-readable report records it."""
        return {
            "path": self.rel,
            "kind": self.kind,
            "class": self.grade.value,
            "summary": self.summary,
            "cells_compared": self.cells,
            "distance": self.distance,
            "absent_from": self.absent or None,
            "differences": [d.to_json() for d in self.differences],
            "total_differences": self.total_differences,
        }


@dataclass(frozen=True)
class ClaimCheck:
    """One claim's verdicts, committed and re-run.

    Attributes:
        claim: The claim's id.
        committed: Its verdicts in the committed table (by verdict column; empty if absent).
        rerun: Its verdicts in the re-run's table.
        grade: The grade of its whole row (absent from either table: differs).
    """

    claim: str
    committed: tuple[tuple[str, str], ...]
    rerun: tuple[tuple[str, str], ...]
    grade: Grade

    @property
    def same_verdicts(self) -> bool:
        """Whether the re-run gives the same verdicts."""
        return bool(self.committed) and self.committed == self.rerun

    def to_json(self) -> dict[str, Any]:
        """The check as the machine-readable report records it."""
        return {
            "claim": self.claim,
            "committed": dict(self.committed),
            "rerun": dict(self.rerun),
            "same_verdicts": self.same_verdicts,
            "class": self.grade.value,
        }



# ---- the result of verify ----------------------------------------------------------------


@dataclass(frozen=True)
class RecordedEnvironment:
    """An environment the committed manifest records, and the notebooks made in it.

    Attributes:
        environment: The environment (``None``: those entries recorded none).
        notebooks: The notebooks' stems.
    """

    environment: Environment | None
    notebooks: tuple[str, ...]


@dataclass
class VerifyResult:
    """The result of :func:`verify`: every output graded, the claims, the environments.

    Attributes:
        comparisons: One per output of either tree, sorted by path.
        claims: Each claim's verdicts, committed and re-run.
        recorded: The environments the committed manifest records.
        current: The environment of the re-run.
        spec: The tolerances and what carries no results (``replication.yaml``).
        exact: Whether the byte-identical contract applies (``verify --exact``).
        figures: The files of each figure the committed manifest declares, by name (its
            images and its data): a figure is reproduced when all of them are.
        report: The page showing every output's grade (``build/verify/index.html``).
        data: The same as JSON (``build/verify/report.json``).
    """

    comparisons: tuple[Comparison, ...]
    claims: tuple[ClaimCheck, ...]
    recorded: tuple[RecordedEnvironment, ...]
    current: Environment
    spec: ReplicationSpec
    exact: bool = False
    figures: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    report: Path | None = None
    data: Path | None = None

    def paths_graded(self, grade: Grade) -> list[str]:
        """The outputs of one grade."""
        return [c.rel for c in self.comparisons if c.grade is grade]

    @property
    def identical(self) -> list[str]:
        """Outputs reproduced byte for byte."""
        return self.paths_graded(Grade.IDENTICAL)

    @property
    def differ(self) -> list[str]:
        """Outputs in both trees whose bytes differ (whatever their grade)."""
        return [c.rel for c in self.comparisons if c.grade is not Grade.IDENTICAL and not c.absent]

    @property
    def missing(self) -> list[str]:
        """Committed outputs the re-run did not produce."""
        return [c.rel for c in self.comparisons if c.absent == "re-run"]

    @property
    def extra(self) -> list[str]:
        """Outputs only the re-run produced."""
        return [c.rel for c in self.comparisons if c.absent == "committed"]

    def shares(self) -> tuple[Share, ...]:
        """The figures, tables and claims reproduced.

        A figure is reproduced when each of its files is: those the manifest declares (its
        images and the CSV of its data), or without declarations its images by name. A table
        (a CSV that is no figure's data) when its CSV is; a claim when its row of the claims
        table is.
        """
        graded = {c.rel: c.grade.reproduced for c in self.comparisons}
        declared = {rel for files in self.figures.values() for rel in files}
        figures: dict[str, bool] = {
            name: all(graded[rel] for rel in files if rel in graded)
            for name, files in self.figures.items()
            if any(rel in graded for rel in files)  # in neither tree: nothing was compared
        }
        tables = []
        for comparison in self.comparisons:
            group = result_group(comparison.rel)
            if comparison.rel in declared:
                continue
            if group == "figures":
                name = Path(comparison.rel).stem
                figures[name] = figures.get(name, True) and comparison.grade.reproduced
            elif group == "tables":
                tables.append(comparison.grade.reproduced)
        claims = [check.grade.reproduced for check in self.claims]
        return tuple(
            Share(group, sum(flags), len(flags))
            for group, flags in (
                ("figures", list(figures.values())), ("tables", tables), ("claims", claims)
            )
        )

    def verdict(self) -> Verdict:
        """The verdict (with the byte-identical contract when :attr:`exact`)."""
        return decide_verdict(
            [c.grade for c in self.comparisons], self.shares(), exact=self.exact
        )

    def environment_lines(self) -> list[str]:
        """How the environment of the re-run differs from the recorded one(s)."""
        return environment_lines(self.recorded, self.current)

    def verdict_line(self) -> str:
        """The last line of ``verify``: the verdict, the interpreter, the counts."""
        return verdict_line(self.verdict(), self.recorded, self.current)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (``build/verify/report.json``)."""
        verdict = self.verdict()
        return {
            "verdict": verdict.label.value,
            "verdict_line": self.verdict_line(),
            "exact": self.exact,
            "ok": verdict.ok,
            "counts": {grade.value: n for grade, n in verdict.counts},
            "shares": [
                {"group": s.group, "reproduced": s.reproduced, "total": s.total}
                for s in verdict.shares
            ],
            "environment": {
                "lines": self.environment_lines(),
                "recorded": [
                    {
                        "notebooks": list(group.notebooks),
                        "environment": group.environment.to_json() if group.environment else None,
                        "changes": list(environment_changes(group.environment, self.current))
                        if group.environment else None,
                    }
                    for group in self.recorded
                ],
                "rerun": self.current.to_json(),
            },
            "classes": {grade.value: GRADE_MEANINGS[grade] for grade in Grade},
            "verdicts": {label.value: LABEL_MEANINGS[label] for label in Label},
            "declared": self.spec.to_json(),
            "outputs": [c.to_json() for c in self.comparisons],
            "claims": [c.to_json() for c in self.claims],
        }


def recorded_environments(manifest: Manifest) -> tuple[RecordedEnvironment, ...]:
    """Group the manifest's entries by the environment each recorded (in entry order)."""
    groups: dict[Environment | None, list[str]] = {}
    for stem, entry in manifest.notebooks.items():
        groups.setdefault(entry.environment, []).append(stem)
    return tuple(RecordedEnvironment(env, tuple(stems)) for env, stems in groups.items())


def environment_lines(
    recorded: Sequence[RecordedEnvironment], current: Environment
) -> list[str]:
    """One line per recorded environment: what differs from ``current`` (or that nothing does).

    E.g. ``environment: Python 3.11.7 → 3.13.0 (recorded for all 6 notebooks; this run:
    CPython 3.13.0 on Linux x86_64 glibc 2.36)``.
    """
    if not recorded:
        return [f"environment: no recorded run to compare with; this run: {current.describe()}"]
    lines = []
    total = sum(len(group.notebooks) for group in recorded)
    for group in recorded:
        which = (
            f"all {total} notebooks" if len(group.notebooks) == total and total > 1
            else ", ".join(group.notebooks)
        )
        if group.environment is None:
            lines.append(f"environment: not recorded for {which}; this run: {current.describe()}")
            continue
        changes = environment_changes(group.environment, current)
        if changes:
            lines.append(
                f"environment: {', '.join(changes)} (recorded for {which}; this run: "
                f"{current.describe()})"
            )
        else:
            lines.append(f"environment: as recorded for {which}: {current.describe()}")
    return lines


def verdict_line(
    verdict: Verdict, recorded: Sequence[RecordedEnvironment], current: Environment
) -> str:
    """The verdict with the interpreter named and the counts per grade.

    E.g. ``verdict: reproduced under CPython 3.13.0 (outputs recorded under 3.11.7): 51
    identical, 7 equivalent, 0 within tolerance, 0 differ``.
    """
    made = sorted({g.environment.python for g in recorded if g.environment is not None})
    interpreter = f"{current.implementation} {current.python}"
    if made and made != [current.python]:
        interpreter += f" (outputs recorded under {', '.join(made)})"
    elif made:
        interpreter += " (as recorded)"
    counts = verdict.counts_text()
    if verdict.exact:
        total = sum(n for _, n in verdict.counts)
        if verdict.ok:
            return f"verdict (--exact): reproduced byte for byte under {interpreter}: {counts}"
        other = total - verdict.count(Grade.IDENTICAL)
        return (
            f"verdict (--exact): not reproduced byte for byte under {interpreter}: {other} of "
            f"{total} outputs are not identical (graded: {verdict.label.value}; {counts})"
        )
    shares = verdict.shares_text() if verdict.label in (Label.PARTIAL, Label.NOT_REPRODUCED) else ""
    return (
        f"verdict: {verdict.label.value} under {interpreter}: "
        + (f"{shares}; " if shares else "")
        + counts
    )


