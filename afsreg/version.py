"""The afsreg version, in a module of its own.

Caches (``.git/afsreg/``) and the database's sync state are keyed by it; they
import it from here so that the lower layers do not import the package face
``afsreg``, which names the write functions above them.
"""

__version__ = "0.1.0"
