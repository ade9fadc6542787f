"""Refusals before any kernel starts, and the small guarantees of issue 10 (items 2 and 4).

No notebook is executed here: planning, parameter checks, the manifest, moving a group of
outputs into place and pruning are exercised directly on a tiny throwaway project.
"""

from __future__ import annotations

import json

import pytest

from analysis import pipeline
from analysis.pipeline.commit import Committer, replace_group
from analysis.pipeline.manifest import Manifest, ManifestEntry
from analysis.pipeline.project import MANIFEST_FORMAT
from analysis.pipeline.signals import SignalGuard

PARAMETERS = (
    "from typing import Optional\n"
    'output_dir: str = ""  # pipeline-owned\n'
    'data_path: str = ""  # a file of the project\n'
    'label: str = "x"  # a label\n'
    "note: Optional[str] = None  # optional (papermill does not see `str | None`)\n"
    "anything = None  # untyped"
)


@pytest.fixture
def project(throwaway) -> pipeline.Project:
    """A project with one notebook declaring typed, optional and path parameters."""
    project = throwaway({"01-demo": [("code", PARAMETERS, ["parameters"])]})
    (project.processed_dir / "other.csv").write_text("a\n1\n")
    return project


def plan(project: pipeline.Project, **parameters: object) -> list[pipeline.Task]:
    """Plan a run of the one notebook with ``parameters``."""
    return pipeline.plan(project, pipeline.discover_notebooks(project), parameters)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("/etc/passwd", "must be relative to the project root"),
        ("../outside.csv", "must lie inside the project root"),
        ("data/processed/missing.csv", "names no file"),
    ],
)
def test_data_path_must_be_a_file_inside_the_project(project, value, why):
    """data_path is relative to the root and inside it; the error names it and its value."""
    with pytest.raises(pipeline.ParameterError) as caught:
        plan(project, data_path=value)
    assert f"'data_path' = {value!r}" in str(caught.value) and why in str(caught.value)


def test_data_path_inside_the_project_goes_to_runs(project):
    """A valid data_path is a non-default run: its outputs go to runs/, not figures/."""
    (task,) = plan(project, data_path="data/processed/other.csv")
    assert task.dest_dir.parent == project.runs_dir and not task.canonical


def test_none_is_refused_unless_optional(project):
    """None for a typed parameter is refused; an optional or untyped one accepts it (item 4)."""
    with pytest.raises(pipeline.ParameterError, match="'label' expects str .* got None"):
        plan(project, label=None)
    (task,) = plan(project, note=None)
    assert task.canonical  # None is the default of note
    (task,) = plan(project, note="hello", anything=None)
    assert task.parameters == {"note": "hello"}


def test_duplicate_yaml_keys_are_refused(tmp_path):
    """A parameter file giving a name twice is refused, naming the file and the key."""
    path = tmp_path / "params.yaml"
    path.write_text("label: a\nlabel: b\n")
    with pytest.raises(pipeline.PipelineError, match=r"line 2: key 'label' given twice") as caught:
        pipeline.load_parameter_file(path)
    assert str(path) in str(caught.value)


def test_manifest_entry_of_the_wrong_shape_is_named(tmp_path):
    """A manifest entry that is not a mapping of the four keys is one clear error."""
    path = tmp_path / "MANIFEST.json"
    path.write_text(json.dumps({"format": MANIFEST_FORMAT,
                                "notebooks": {"01-demo": ["not", "an", "entry"]}}))
    with pytest.raises(pipeline.PipelineError, match="entry '01-demo' is not a manifest entry"):
        pipeline.load_manifest(path)


def test_a_group_of_outputs_moves_all_or_nothing(tmp_path):
    """When one move of a group fails, the files already moved are put back."""
    targets = [tmp_path / "figures" / name for name in ("a.csv", "b.csv")]
    targets[0].parent.mkdir()
    for target in targets:
        target.write_text("old\n")
    new = tmp_path / "staged-a.csv"
    new.write_text("new\n")
    moves = [(new, targets[0]), (tmp_path / "does-not-exist.csv", targets[1])]
    with pytest.raises(pipeline.SaveError, match="nothing of it was changed"):
        replace_group(moves, "the outputs of 01-demo")
    assert [t.read_text() for t in targets] == ["old\n", "old\n"]
    assert sorted(p.name for p in targets[0].parent.iterdir()) == ["a.csv", "b.csv"]


def test_pruning_keeps_outputs_a_remaining_notebook_records(project):
    """A stale entry of a deleted notebook cannot delete an output of a skipped one."""
    figures = project.figures_dir
    figures.mkdir()
    for name in ("shared.csv", "only-gone.csv"):
        (figures / name).write_text("x\n")
    def entry(*outputs: str) -> ManifestEntry:
        return ManifestEntry("notebooks/x.ipynb", {}, {}, {f"figures/{o}": "0" for o in outputs})
    Manifest(project.manifest, {
        "01-demo": entry("shared.csv"), "09-gone": entry("shared.csv", "only-gone.csv"),
    }).save()
    lines: list[str] = []
    with SignalGuard() as guard:
        Committer(project, [], lines.append, guard).prune(pipeline.discover_notebooks(project))
    assert (figures / "shared.csv").is_file()
    assert not (figures / "only-gone.csv").exists()
    assert set(pipeline.load_manifest(project.manifest).notebooks) == {"01-demo"}


@pytest.mark.parametrize(
    ("stem", "name", "value", "allowed"),
    [
        ("02-police-victims", "conf_level", 1.5, "a number in (0, 1)"),
        ("06-claims", "dispersion", 0.5, "a number ≥ 1"),
        ("03-justice", "proportion_method", "clopper", "one of wilson, beta"),
        ("02-police-victims", "baseline_year", 2012, "one of 2010, 2014"),
    ],
)
def test_real_notebooks_refuse_values_outside_their_rules(stem, name, value, allowed):
    """Ranges and choices are checked while planning, before any worker or kernel exists."""
    project = pipeline.Project.default()
    (notebook,) = pipeline.resolve_notebooks(project, [stem])
    with pytest.raises(pipeline.ParameterError) as caught:
        pipeline.plan(project, [notebook], {name: value})
    message = str(caught.value)
    assert message.startswith(f"{stem}.ipynb: parameter {name!r} = {value!r}")
    assert allowed in message


def test_a_prefix_names_a_notebook_and_an_ambiguous_one_is_refused(project):
    """`run 02` means 02-police-victims; a prefix of several is refused, listing them."""
    real = pipeline.Project.default()
    assert [p.stem for p in pipeline.resolve_notebooks(real, ["02"])] == ["02-police-victims"]
    assert [p.stem for p in pipeline.resolve_notebooks(real, ["06-c"])] == ["06-claims"]
    with pytest.raises(pipeline.PipelineError, match="'0' matches several notebooks: "
                                                     "01-dataset, 02-police-victims"):
        pipeline.resolve_notebooks(real, ["0"])
    with pytest.raises(pipeline.PipelineError, match="no notebook '9'"):
        pipeline.resolve_notebooks(real, ["9"])
    assert [p.stem for p in pipeline.resolve_notebooks(project, ["01"])] == ["01-demo"]
