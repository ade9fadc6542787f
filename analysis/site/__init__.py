"""The compendium's site: Sphinx + MyST-NB pages, data pages and the report viewer.

- :mod:`analysis.site.build` stages the Sphinx sources and builds ``build/site/``;
- :mod:`analysis.site.sphinxext` is the Sphinx extension (directives of the data pages and
  the viewer);
- :mod:`analysis.site.viewer` cuts the report's text into marked pieces;
- :mod:`analysis.site.pages` writes the HTML of the data tables, claims and gallery;
- :mod:`analysis.site.figures` finds which notebook cell draws which figure, and its alt text;
- :mod:`analysis.site.html_tables` ties the header cells of the notebooks' pandas tables to
  their data cells (``scope``, or ``id`` and ``headers``);
- :mod:`analysis.site.note` is the research note's extension (the ``value`` role and the
  note's directives), :mod:`analysis.site.values` resolves its references to table cells,
  :mod:`analysis.site.digits` lints its source for typed numbers;
- :mod:`analysis.site.typst` writes the note as Typst (a Sphinx builder) and
  :mod:`analysis.site.paper` compiles it to ``build/paper/note.pdf``.
"""

from analysis.site.build import build_site, main

__all__ = ["build_site", "main"]
