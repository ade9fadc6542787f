"""Sphinx configuration of the compendium's site (built by ``python -m analysis report``).

The build stages this folder, the executed notebooks and the generated report-viewer pages
into ``build/site-src/`` and renders them into ``build/site/``; see :mod:`analysis.site`.
Nothing is executed (``nb_execution_mode = "off"``) and nothing is fetched from the network.
"""

project = "Japan 2015: sale and sexual exploitation of children — a research compendium"
author = "The compendium's authors"
copyright = "2026"  # noqa: A001 - Sphinx's name for the setting
language = "en"
smartquotes = False  # the report viewer shows the text as it is

extensions = ["myst_nb", "analysis.site.sphinxext", "analysis.site.note", "analysis.site.typst"]
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["_extra", "**.ipynb_checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "Japan 2015 compendium"
html_static_path = ["_static"]
# Overrides of the theme's templates (accessibility repairs; see each file). The theme's search
# form is included as ../components/search-field.html, so it lives in _templates/components/.
templates_path = ["_templates/theme"]
html_extra_path = ["_extra"]
html_css_files = ["compendium.css"]
html_js_files = ["table.js", "compendium.js"]
html_last_updated_fmt = None
html_show_sphinx = False
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_favicon = "_static/favicon.svg"
html_context = {"default_mode": "auto"}
