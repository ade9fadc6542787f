"""The dataset layer: the report's text, numerals, extraction, audit, cross-checks, tables."""
