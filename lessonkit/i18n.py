"""The language lessonkit speaks: verdicts, hints, figure text, explorer controls (GNU gettext).

One call chooses it, the notebook's setup call: ``lessonkit.setup(lang="zh")`` (default ``"en"``).

How a message is written in lessonkit's code (``tools/i18n.py`` extracts every marked string with Babel):

- ``_("text")`` translates *now*: for text built while a check, a figure or an explorer runs
  (``_("{count} of {total} values differ").format(count=..., total=...)``). Placeholders are always
  named, so a translation can put them in any order.
- ``N_("text")`` only marks: for text defined when a module is imported (a Mistake's message, a hint,
  a solution), which is translated where it is shown (the check engine passes titles, messages, hints
  and solutions through ``_``). English is the message id: a string with no translation shows as is.

Catalogs: ``lessonkit/locale/<lang>/LC_MESSAGES/<domain>.po``, one domain per lesson (its module and
the modules split out of it) and ``core`` for the rest, so each lesson's text lives with its lesson.
They are read with Babel and compiled in memory when a language is chosen: no binary ``.mo`` file is
kept in the repository, so nothing can go stale. ``tools/i18n.py`` updates the catalogs from the code and
lists what is untranslated; tests/test_i18n.py fails on a missing, fuzzy or inconsistent translation.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh")  # English is the source language: its text is in the code
DOMAINS = ("core", "activations", "autograd_grad", "backward_retain_graph", "softmax_jacobian", "losses",
           "himmelblau", "tolist_item")

_state = {"lang": "en", "translations": gettext.NullTranslations()}


def domain_of(module_file: str | Path) -> str:
    """The catalog a lessonkit source file's messages belong to."""
    stem = Path(module_file).stem
    if stem.startswith(("himmelblau", "adam_himmelblau")):
        return "himmelblau"
    for domain in DOMAINS[1:]:
        if stem == domain or stem.startswith(domain + "_"):
            return domain
    return "core"


@functools.cache
def _load(lang: str) -> gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    chain = gettext.NullTranslations()
    for domain in DOMAINS:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
        if not path.exists():
            continue
        with path.open("rb") as po:
            catalog = read_po(po, locale=lang, domain=domain)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy entry is not a translation yet
        buffer.seek(0)
        translations = gettext.GNUTranslations(buffer)
        translations.add_fallback(chain)
        chain = translations
    return chain


def set_language(lang: str) -> None:
    """Speak ``lang`` from now on (one of LANGUAGES)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lessonkit speaks {', '.join(map(repr, LANGUAGES))}; got {lang!r}")
    _state["lang"] = lang
    _state["translations"] = gettext.NullTranslations() if lang == "en" else _load(lang)


def language() -> str:
    """The language lessonkit speaks now."""
    return _state["lang"]


def _(message: str) -> str:
    """``message`` in the current language (itself when there is no translation)."""
    if not message:
        return message
    return _state["translations"].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return _state["translations"].ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is shown; returns it unchanged."""
    return message


def is_cjk(text: str) -> bool:
    """Whether ``text`` contains a CJK ideograph."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


__all__ = ["LANGUAGES", "N_", "_", "domain_of", "is_cjk", "language", "ngettext", "set_language"]
