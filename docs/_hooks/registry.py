"""The term registry, for the build hook and the tests: the package's own reader.

The registry lives in the package (``src/glossary_dl/data/terms/*.toml``, one file per family)
so that the installed ``glossary-dl`` command and the site read one source; this module only
re-exports the package's reader (``glossary_dl._registry``) under the names the hooks use.
"""

from glossary_dl._registry import REGISTRY, RegistryError, Term, load_terms, resolve

__all__ = ["REGISTRY", "RegistryError", "Term", "load_terms", "resolve"]
