"""Table Schema declarations: a table's columns declared once, as data.

A :class:`Table` is a tuple of :class:`Field` declarations (name, Table Schema type,
constraints, description). Everything else about a table derives from it: the CSV's column
order, the Table Schema descriptor in a Frictionless data package, and validation. The
processed tables (:mod:`analysis.dataset.schema`), the claims table and the figures' CSVs all
use these classes: one schema system for every table the compendium writes.

A leaf: imports nothing from the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One column of a processed table.

    Attributes:
        name: Column name.
        type: Table Schema type (``string``, ``integer``, ``number``).
        description: What the column holds.
        required: Whether every row must have a value.
        unique: Whether values must be unique.
        enum: Allowed values (empty: any).
        minimum: Smallest allowed value, if any.
        maximum: Largest allowed value, if any.
        pattern: Regular expression a value must match in full, if any.
        unit: The unit of a numeric column (e.g. ``count``, ``proportion``, ``ratio``),
            written as the field's ``unit`` property; empty when none applies.
    """

    name: str
    type: str
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    unit: str = ""

    def descriptor(self) -> dict[str, Any]:
        """Return the Table Schema field descriptor."""
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        if self.pattern is not None:
            constraints["pattern"] = self.pattern
        field: dict[str, Any] = {"name": self.name, "type": self.type,
                                 "description": self.description}
        if self.unit:
            field["unit"] = self.unit
        if constraints:
            field["constraints"] = constraints
        return field


@dataclass(frozen=True)
class Table:
    """One processed table: its file, its description and its fields in column order.

    Attributes:
        resource: Data-package resource name.
        filename: CSV file name in ``data/processed/``.
        description: What one row is.
        fields: The columns, in order.
        primary_key: The column that identifies a row.
    """

    resource: str
    filename: str
    description: str
    fields: tuple[Field, ...]
    primary_key: str

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names in CSV order."""
        return tuple(field.name for field in self.fields)

    def schema_descriptor(self) -> dict[str, Any]:
        """Return the Table Schema descriptor (fields, primary key, missing values)."""
        return {
            "fields": [field.descriptor() for field in self.fields],
            "primaryKey": [self.primary_key],
            "missingValues": [""],
        }


def tabular_resource(
    name: str,
    path: str,
    title: str,
    description: str,
    sha256: str,
    schema: dict[str, Any],
    size: int | None = None,
) -> dict[str, Any]:
    """A Frictionless tabular data resource descriptor for one UTF-8 CSV file.

    Args:
        name: Resource name (lower case, digits, ``-``, ``_``, ``.``).
        path: The CSV's path relative to the package descriptor.
        title: Short title.
        description: What one row is, or what the table shows.
        sha256: The file's SHA-256 (hex); Frictionless checks it when validating.
        schema: The Table Schema descriptor.
        size: The file's size in bytes, if known (Frictionless checks it too).

    Returns:
        The resource descriptor.
    """
    resource: dict[str, Any] = {
        "name": name,
        "path": path,
        "profile": "tabular-data-resource",
        "title": title,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "hash": f"sha256:{sha256}",
    }
    if size is not None:
        resource["bytes"] = size
    resource["schema"] = schema
    return resource
