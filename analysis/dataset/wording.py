"""What a figure's own sentence says, and what was filled from its context.

The extraction spec (``data/extraction_spec.yaml``, section ``words``) gives, for every value
of the fields in :data:`STATED_FIELDS`, the words of the report that state it: ``Okinawa``
for the geography ``Okinawa prefecture``, ``requests for removal`` for the counting unit
``removal requests``, ``National Police Agency`` for that source. A year is stated by its
four digits. A field whose value is filled while none of its words is in the figure's own
sentence (the sentence holding its number) was filled from the figure's context, and the row
must list it in ``inferred``: :func:`context_fields` finds such fields,
:mod:`analysis.dataset.extract` refuses a row that does not list one. Listing a field whose
words do occur is allowed: the word may be there for another reason ("outside Japan" names
where content is hosted, not whose caseload is counted).

This module imports nothing from the package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

#: Fields whose value must be stated by the figure's own sentence or listed in ``inferred``.
STATED_FIELDS: tuple[str, ...] = (
    "geography",
    "year",
    "period",
    "offence",
    "counting_unit",
    "source_body",
    "subject_body",
)
#: Values that state nothing and need no words (besides an empty cell).
NOT_STATED = "not stated"


class WordingError(ValueError):
    """The ``words`` section of the spec is malformed or lacks a value a fact uses."""


@dataclass(frozen=True)
class Wording:
    """The words that state one field value: any one alternative, all of its phrases.

    Attributes:
        field: The field (one of :data:`STATED_FIELDS`).
        value: The value, as in the table.
        alternatives: Each alternative is a tuple of phrases that must all occur in the
            sentence (case-insensitive, white space folded, whole words).
    """

    field: str
    value: str
    alternatives: tuple[tuple[str, ...], ...]

    def stated_in(self, sentence: str) -> bool:
        """Whether ``sentence`` contains all the phrases of one alternative."""
        return any(all(_phrase(p).search(sentence) for p in alt) for alt in self.alternatives)


def _phrase(phrase: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(word) for word in phrase.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", flags=re.IGNORECASE)


@dataclass(frozen=True)
class FieldWords:
    """The ``words`` section of the spec: field -> value -> :class:`Wording`."""

    table: Mapping[str, Mapping[str, Wording]]

    def wording(self, field: str, value: Any) -> Wording | None:
        """The words stating ``value`` of ``field``; ``None`` for an empty or unstated one.

        Raises:
            WordingError: The value has no words in the spec.
        """
        text = "" if value is None else str(value)
        if not text or text == NOT_STATED:
            return None
        if field == "year":
            return Wording(field, text, ((text,),))
        try:
            return self.table[field][text]
        except KeyError:
            raise WordingError(
                f"{field} {text!r} has no words in the spec's 'words' section"
            ) from None


def load_field_words(section: Any, where: str) -> FieldWords:
    """Check and read the spec's ``words`` section.

    Args:
        section: The parsed YAML mapping (field -> value -> list of alternatives; an
            alternative is a phrase, or a list of phrases that must all occur).
        where: The file, for messages.

    Raises:
        WordingError: Not a mapping, an unknown field, or an empty or non-text alternative;
            the message names the file, the field and the value.
    """
    if not isinstance(section, dict):
        raise WordingError(f"{where}: 'words' must map fields to values to words")
    table: dict[str, Mapping[str, Wording]] = {}
    for field, values in section.items():
        if field not in STATED_FIELDS or field == "year":
            raise WordingError(f"{where}: words: unknown field {field!r}")
        if not isinstance(values, dict):
            raise WordingError(f"{where}: words: {field}: must map values to words")
        table[field] = MappingProxyType(
            {str(value): _wording(field, str(value), alts, where) for value, alts in values.items()}
        )
    return FieldWords(MappingProxyType(table))


def _wording(field: str, value: str, alternatives: Any, where: str) -> Wording:
    if not isinstance(alternatives, list) or not alternatives:
        raise WordingError(f"{where}: words: {field}: {value!r}: needs a list of words")
    parsed = []
    for alternative in alternatives:
        phrases = alternative if isinstance(alternative, list) else [alternative]
        if not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise WordingError(f"{where}: words: {field}: {value!r}: empty or non-text words")
        parsed.append(tuple(phrases))
    return Wording(field, value, tuple(parsed))


@dataclass(frozen=True)
class ContextField:
    """A field a row fills although its sentence does not state it.

    Attributes:
        fact_id: The row.
        field: The field.
        value: Its value.
        sentence: The figure's own sentence.
        listed: Whether the row lists the field in ``inferred``.
    """

    fact_id: str
    field: str
    value: str
    sentence: str
    listed: bool

    def message(self) -> str:
        """One line naming the fact, the field, its value and the sentence."""
        return (
            f"fact {self.fact_id!r}: {self.field} {self.value!r} is not stated in its "
            f"sentence ({self.sentence!r}); list {self.field!r} in inferred"
        )


def context_fields(
    row: Mapping[str, Any], sentence: str, words: FieldWords
) -> list[ContextField]:
    """The filled fields of :data:`STATED_FIELDS` that a row's own sentence does not state.

    Args:
        row: One row of the statistics table (``fact_id``, the fields, ``inferred``).
        sentence: The figure's own sentence (white space folded).
        words: The spec's words.

    Returns:
        One entry per such field, with whether ``inferred`` lists it.

    Raises:
        WordingError: A value has no words in the spec.
    """
    listed = set(str(row.get("inferred", "")).split())
    found = []
    for field in STATED_FIELDS:
        wording = words.wording(field, row.get(field, ""))
        if wording is not None and not wording.stated_in(sentence):
            found.append(
                ContextField(str(row["fact_id"]), field, wording.value, sentence, field in listed)
            )
    return found
