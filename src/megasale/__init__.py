"""megasale: a marketplace platform for mega-sale events."""

__version__ = "0.1.0"
