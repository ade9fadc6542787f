"""analysis.io: the strict YAML loader and moving a group of files into place.

Every spec and parameter file goes through ``load_yaml``; every group of outputs through
``replace_all``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from analysis import io, paths
from analysis.claims.spec import ClaimSpecError, load_claims
from analysis.dataset.audit import AuditError, load_audit_rules
from analysis.dataset.cross_checks import CrossCheckSpecError, load_cross_checks
from analysis.io import YamlFileError, load_yaml


def _write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_key_given_twice_is_refused_with_file_line_and_key(tmp_path: Path) -> None:
    """A repeated key in a nested mapping: one message with the file, the line and the key."""
    path = _write(tmp_path, "claims:\n  - claim_id: a\n    reason: x\n    reason: y\n")
    with pytest.raises(YamlFileError) as caught:
        load_yaml(path)
    assert str(caught.value) == f"{path}, line 4: key 'reason' given twice"


def test_a_key_given_twice_at_the_top_is_refused(tmp_path: Path) -> None:
    """A repeated top-level key is refused too (plain YAML keeps the second)."""
    path = _write(tmp_path, "claims: []\nkinds: {}\nclaims: []\n")
    with pytest.raises(YamlFileError, match=r"line 3: key 'claims' given twice"):
        load_yaml(path, top_level={"claims", "kinds"})


def test_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    """With declared top-level keys, another key is refused, listing the allowed ones."""
    path = _write(tmp_path, "claims: []\nclaimz: 1\n")
    with pytest.raises(YamlFileError, match=r"line 2: unknown top-level key 'claimz' "
                                            r"\(allowed: claims, kinds\)"):
        load_yaml(path, top_level={"claims", "kinds"})


def test_a_document_that_is_not_a_mapping_is_refused_when_keys_are_declared(
    tmp_path: Path,
) -> None:
    """Declared keys require a mapping; without them any document is read."""
    path = _write(tmp_path, "- 1\n- 2\n")
    with pytest.raises(YamlFileError, match="line 1: expected a mapping"):
        load_yaml(path, top_level={"claims"})
    assert load_yaml(path) == [1, 2]


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    """A syntax error names the file and the line."""
    path = _write(tmp_path, "a: 1\nb: [1, 2\n")
    with pytest.raises(YamlFileError, match=r"line 3: not valid YAML"):
        load_yaml(path)


def test_only_safe_types_are_constructed(tmp_path: Path) -> None:
    """Python object tags are refused (a safe loader)."""
    path = _write(tmp_path, "a: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(YamlFileError, match="not valid YAML"):
        load_yaml(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    """A missing file is one error; an empty file is None."""
    with pytest.raises(YamlFileError, match="cannot read"):
        load_yaml(tmp_path / "absent.yaml")
    assert load_yaml(_write(tmp_path, "")) is None


def test_equal_keys_in_different_mappings_are_fine(tmp_path: Path) -> None:
    """Only repeats within one mapping are refused."""
    path = _write(tmp_path, "a:\n  x: 1\nb:\n  x: 2\n")
    assert load_yaml(path) == {"a": {"x": 1}, "b": {"x": 2}}


def _with_duplicate(source: Path, tmp_path: Path, after: str, line: str) -> Path:
    """A copy of ``source`` with ``line`` inserted after the first line starting ``after``."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, text in enumerate(lines) if text.lstrip().startswith(after))
    lines.insert(index + 1, line)
    return _write(tmp_path, "".join(lines), source.name)


def test_claims_spec_refuses_a_reason_given_twice(tmp_path: Path) -> None:
    """data/claims.yaml with a claim's reason given twice is refused by name."""
    text = paths.CLAIMS_SPEC.read_text(encoding="utf-8")
    indent = next(line for line in text.splitlines() if line.lstrip().startswith("reason:"))
    spaces = indent[: len(indent) - len(indent.lstrip())]
    path = _with_duplicate(paths.CLAIMS_SPEC, tmp_path, "reason:", f"{spaces}reason: again\n")
    with pytest.raises(ClaimSpecError, match=r"claims.yaml, line \d+: key 'reason' given twice"):
        load_claims(path)


def test_cross_checks_spec_refuses_a_key_given_twice(tmp_path: Path) -> None:
    """data/cross_checks.yaml with a check's why given twice is refused by name."""
    text = paths.CROSS_CHECKS_SPEC.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.lstrip().startswith("why:"))
    spaces = first[: len(first) - len(first.lstrip())]
    path = _with_duplicate(paths.CROSS_CHECKS_SPEC, tmp_path, "why:", f"{spaces}why: again\n")
    with pytest.raises(CrossCheckSpecError, match=r"line \d+: key 'why' given twice"):
        load_cross_checks(path)


def test_audit_rules_refuse_a_key_given_twice(tmp_path: Path) -> None:
    """data/audit_rules.yaml with a rule's reason given twice is refused by name."""
    text = paths.AUDIT_RULES.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.lstrip().startswith("reason:"))
    spaces = first[: len(first) - len(first.lstrip())]
    path = _with_duplicate(paths.AUDIT_RULES, tmp_path, "reason:", f"{spaces}reason: again\n")
    with pytest.raises(AuditError, match=r"audit_rules.yaml, line \d+: key 'reason' given twice"):
        load_audit_rules(path)


@pytest.mark.parametrize("spec", ["claims", "cross_checks", "audit_rules"])
def test_specs_refuse_an_unknown_top_level_key(tmp_path: Path, spec: str) -> None:
    """Each spec refuses a top-level key it does not declare."""
    source = {"claims": paths.CLAIMS_SPEC, "cross_checks": paths.CROSS_CHECKS_SPEC,
              "audit_rules": paths.AUDIT_RULES}[spec]
    path = _write(tmp_path, source.read_text(encoding="utf-8") + "extra: 1\n", source.name)
    loader = {"claims": load_claims, "cross_checks": load_cross_checks,
              "audit_rules": load_audit_rules}[spec]
    with pytest.raises(ValueError, match="unknown top-level key 'extra'"):
        loader(path)


def _group(tmp_path: Path) -> tuple[list[tuple[Path, Path]], list[Path]]:
    staging, target_dir = tmp_path / "staging", tmp_path / "figures"
    staging.mkdir()
    target_dir.mkdir()
    (target_dir / "a.csv").write_text("old a\n")
    moves = []
    for name in ("a.csv", "b.csv"):
        (staging / name).write_text(f"new {name}\n")
        moves.append((staging / name, target_dir / name))
    return moves, [target for _, target in moves]


def test_replace_all_copies_when_a_link_cannot_cross_filesystems(tmp_path, monkeypatch):
    """A target folder on another mount (link refused with EXDEV): copied, then renamed."""
    def cross_device(source, target):
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(source), str(target))

    monkeypatch.setattr(io.os, "link", cross_device)
    moves, targets = _group(tmp_path)
    io.replace_all(moves)
    assert [t.read_text() for t in targets] == ["new a.csv\n", "new b.csv\n"]
    assert sorted(p.name for p in targets[0].parent.iterdir()) == ["a.csv", "b.csv"]
    assert all(source.is_file() for source, _ in moves)  # copied, not moved


def test_replace_all_changes_nothing_when_a_copy_finds_no_space(tmp_path, monkeypatch):
    """The second copy hits a full disk: no target changed, no temporary file left.

    The error names the target, not the temporary file.
    """
    def cross_device(source, target):
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(source), str(target))

    real_copy = io.shutil.copyfileobj

    def copy_filling_the_disk(origin, copy, length=0):
        if origin.name.endswith("b.csv"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_copy(origin, copy, length)

    monkeypatch.setattr(io.os, "link", cross_device)
    monkeypatch.setattr(io.shutil, "copyfileobj", copy_filling_the_disk)
    moves, targets = _group(tmp_path)
    with pytest.raises(OSError) as caught:
        io.replace_all(moves)
    assert io.is_no_space(caught.value) and caught.value.filename == str(targets[1])
    assert targets[0].read_text() == "old a\n" and not targets[1].exists()
    assert sorted(p.name for p in targets[0].parent.iterdir()) == ["a.csv"]


@pytest.mark.parametrize(("number", "full"), [(errno.ENOSPC, True), (errno.EDQUOT, True),
                                              (errno.ENOENT, False), (errno.EXDEV, False)])
def test_is_no_space(number, full):
    """A full filesystem and an exceeded quota are "no space"; other errors are not."""
    assert io.is_no_space(OSError(number, os.strerror(number))) is full
    assert io.is_no_space(ValueError("[Errno 28] No space left on device")) is False
