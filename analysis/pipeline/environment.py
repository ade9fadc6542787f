"""The environment a run was made in: interpreter, platform and the packages that shape outputs.

``figures/MANIFEST.json`` records it for every notebook's run (:class:`Environment`, in each
entry's ``environment``), so that ``verify`` can say how the environment of a re-run differs
from the one that made the committed outputs ("Python 3.11.7 → 3.13.0") before it says how
the outputs differ. The record is deterministic: the same machine and environment give the
same bytes.

The environment is recorded, not an input: a notebook whose inputs are unchanged is not
re-run because the interpreter or a package changed (``run`` says so); whether that changes
the results is what ``verify`` grades.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib import metadata
from typing import Any

#: The distributions whose versions can change the bytes or values of an output: the numerics
#: (numpy, scipy, pandas, statsmodels), the figures (matplotlib, seaborn; Pillow encodes the
#: PNGs) and the executed notebooks (nbformat, nbconvert, papermill, ipykernel).
RECORDED_PACKAGES: tuple[str, ...] = (
    "ipykernel",
    "matplotlib",
    "nbconvert",
    "nbformat",
    "numpy",
    "pandas",
    "papermill",
    "pillow",
    "scipy",
    "seaborn",
    "statsmodels",
)
#: The version recorded for a distribution that is not installed.
NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class Environment:
    """An interpreter, its platform and the versions of :data:`RECORDED_PACKAGES`.

    Attributes:
        python: The interpreter's version, e.g. ``"3.11.7"``.
        implementation: The interpreter, e.g. ``"CPython"``.
        platform: Operating system, machine and C library, e.g. ``"Linux x86_64 glibc 2.36"``.
        packages: ``(distribution, version)`` pairs, sorted by name.
    """

    python: str
    implementation: str
    platform: str
    packages: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        """The record as written in ``MANIFEST.json``."""
        return {
            "implementation": self.implementation,
            "packages": dict(self.packages),
            "platform": self.platform,
            "python": self.python,
        }

    @classmethod
    def from_json(cls, data: Any) -> Environment | None:
        """Read a record; ``None`` when ``data`` does not have a record's shape."""
        names = {"implementation", "packages", "platform", "python"}
        if not isinstance(data, dict) or set(data) != names:
            return None
        packages = data["packages"]
        texts = [data["python"], data["implementation"], data["platform"]]
        if not (
            all(isinstance(v, str) for v in texts)
            and isinstance(packages, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in packages.items())
        ):
            return None
        return cls(data["python"], data["implementation"], data["platform"],
                   tuple(sorted(packages.items())))

    def describe(self) -> str:
        """One line: ``"CPython 3.11.7 on Linux x86_64 glibc 2.36"``."""
        return f"{self.implementation} {self.python} on {self.platform}"


def current_environment() -> Environment:
    """Return the environment of this interpreter (the kernels run on the same one).

    Package versions come from the installed distributions' metadata; nothing is imported.
    """
    libc = " ".join(part for part in platform.libc_ver() if part)
    where = " ".join(part for part in (platform.system(), platform.machine(), libc) if part)
    return Environment(
        python=platform.python_version(),
        implementation=platform.python_implementation(),
        platform=where,
        packages=tuple((name, _version(name)) for name in sorted(RECORDED_PACKAGES)),
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


def environment_changes(recorded: Environment, current: Environment) -> tuple[str, ...]:
    """What differs between two environments, one item each: ``"Python 3.11.7 → 3.13.0"``.

    The interpreter comes first, then the platform, then each package (by name).
    """
    changes = []
    if recorded.implementation != current.implementation:
        changes.append(
            f"interpreter {recorded.implementation} {recorded.python} → "
            f"{current.implementation} {current.python}"
        )
    elif recorded.python != current.python:
        changes.append(f"Python {recorded.python} → {current.python}")
    if recorded.platform != current.platform:
        changes.append(f"platform {recorded.platform} → {current.platform}")
    old, new = dict(recorded.packages), dict(current.packages)
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name, NOT_INSTALLED), new.get(name, NOT_INSTALLED)
        if before != after:
            changes.append(f"{name} {before} → {after}")
    return tuple(changes)
