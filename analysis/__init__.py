"""Analysis package of the Japan 2015 Special Rapporteur report compendium."""

__version__ = "0.1.0"
