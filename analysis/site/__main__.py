"""``python -m analysis.site``: same as ``python -m analysis report``."""

from analysis.site.build import main

raise SystemExit(main())
