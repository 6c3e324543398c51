"""The search index as readers meet it: snippets in words, a term's name opening its own section.

Run on the built site (``search/search_index.json``, the theme's format), after the theme's
search plugin wrote it:

- a snippet shows text: code listings (``<pre>``) and display formulas are dropped, and an
  inline formula becomes plain text (``\\(x > 0\\)`` reads ``x > 0``, ``\\(\\beta_1\\)`` ``β_1``);
- ``config.terms`` maps every name and synonym (lower case) to the term's own address, the section
  of a family page where the term has one (``terms/activation-function/#relu``); the site's
  search worker (``docs/assets/javascripts/workers/glossary-search.js``) lists that address first.

Pure functions over the index: no generator is needed to run them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

LISTING = re.compile(r"<pre\b.*?</pre>", re.S)
DISPLAY_MATH = re.compile(r"\\\[.*?\\\]|\$\$.*?\$\$", re.S)
INLINE_MATH = re.compile(r"\\\((.*?)\\\)", re.S)
SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Sigma": "Σ", "Phi": "Φ", "Omega": "Ω", "sum": "Σ", "prod": "Π", "partial": "∂",
    "nabla": "∇", "infty": "∞", "cdot": "·", "times": "×", "odot": "⊙", "otimes": "⊗",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "in": "∈", "ldots": "…",
    "dots": "…", "cdots": "…", "pm": "±", "sqrt": "√", "mid": "|", "lVert": "‖", "rVert": "‖",
}
COMMAND = re.compile(r"\\([A-Za-z]+)\s?")


def formula_as_text(tex: str) -> str:
    """A short inline formula in plain text: symbols for the common commands, no braces or spacing commands."""
    text = COMMAND.sub(lambda m: SYMBOLS.get(m.group(1), ""), tex)
    text = re.sub(r"\\[,;:! ]", " ", text)
    text = text.replace("{", "").replace("}", "").replace("\\", "")
    return " ".join(text.split())


def snippet_text(text: str) -> str:
    """The index text of a section with its code listings and display formulas removed."""
    text = LISTING.sub(" ", text)
    text = DISPLAY_MATH.sub(" ", text)
    text = INLINE_MATH.sub(lambda m: formula_as_text(m.group(1)), text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def term_addresses(terms, page_url) -> dict[str, str]:
    """Every name and synonym (lower case) -> the site address of its term (its section if anchored)."""
    addresses = {}
    for t in terms:
        address = page_url(t.page) + (f"#{t.anchor}" if t.anchor else "")
        for label in (t.name, *t.synonyms):
            addresses[label.lower()] = address
    return addresses


def rewrite(index_file: Path, terms, page_url) -> None:
    index = json.loads(index_file.read_text(encoding="utf-8"))
    for doc in index["docs"]:
        doc["text"] = snippet_text(doc["text"])
    # in the config: the theme passes the index's config and docs to its worker, nothing else
    index["config"]["terms"] = term_addresses(terms, page_url)
    index_file.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
