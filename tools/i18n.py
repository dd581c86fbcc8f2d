"""lessonkit's message catalogs (GNU gettext .po, handled with Babel).

    python tools/i18n.py update     extract every _("...") / N_("...") of lessonkit/*.py into its domain's
                                    catalog for each language: new text arrives untranslated, changed
                                    English text is marked fuzzy (the old translation kept as a draft)
    python tools/i18n.py missing    list untranslated and fuzzy entries (exit status 1 if any)

`make i18n` runs `update` then `missing`. See lessonkit/i18n.py for how messages are written.
"""

from __future__ import annotations

import datetime as dt
import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lessonkit.i18n import DOMAINS, LANGUAGES, LOCALE_DIR, domain_of  # noqa: E402

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
FIXED_DATE = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)  # no timestamps churning in diffs
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def sources() -> dict[str, list[Path]]:
    """lessonkit's source files, by catalog domain."""
    by_domain: dict[str, list[Path]] = {d: [] for d in DOMAINS}
    for path in sorted((REPO / "lessonkit").glob("*.py")):
        by_domain[domain_of(path)].append(path)
    return by_domain


def template(domain: str) -> Catalog:
    """Every marked message of a domain, as found in the code now."""
    catalog = Catalog(project="lessonkit", domain=domain, creation_date=FIXED_DATE, fuzzy=False)
    for path in sources()[domain]:
        for lineno, message, comments, _context in extract_from_file("python", path, keywords=KEYWORDS,
                                                                      comment_tags=("TRANSLATORS:",)):
            catalog.add(message, locations=[(path.relative_to(REPO).as_posix(), lineno)],
                        auto_comments=comments, flags=_flags(message))
    return catalog


def _flags(message) -> tuple:
    first = message[0] if isinstance(message, tuple) else message
    return ("python-brace-format",) if placeholders(first) else ()


def placeholders(text: str) -> set[str]:
    """The {named} fields of a str.format template (empty when it is not a valid one)."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:
        return set()


def po_path(lang: str, domain: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def read(lang: str, domain: str) -> Catalog | None:
    path = po_path(lang, domain)
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=domain)


def write(catalog: Catalog, lang: str, domain: str) -> None:
    path = po_path(lang, domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.revision_date = FIXED_DATE
    for message in catalog:  # a reviewed entry needs no draft of its old English any more
        if message.id and not message.fuzzy:
            message.previous_id = []
            message.user_comments = [c for c in message.user_comments if not c.startswith("| msgid")]
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, ignore_obsolete=True, include_previous=True)


HEADER = """\
# lessonkit's {domain} messages in {lang}: translate each msgstr, keep every {{placeholder}} (python
# tools/i18n.py missing lists what is left). Terms: docs/glossary.md. English text is the message id.
#"""


def new_catalog(lang: str, domain: str) -> Catalog:
    return Catalog(locale=lang, domain=domain, project="lessonkit", version="0.1", creation_date=FIXED_DATE,
                   revision_date=FIXED_DATE, copyright_holder="the lessonkit authors", fuzzy=False,
                   language_team=f"lessonkit {lang}", last_translator="the lessonkit authors",
                   header_comment=HEADER.format(domain=domain, lang=lang))


def update() -> None:
    for domain in DOMAINS:
        fresh = template(domain)
        for lang in TRANSLATED:
            catalog = read(lang, domain) or new_catalog(lang, domain)
            catalog.update(fresh, update_creation_date=False)
            write(catalog, lang, domain)
        print(f"{domain}: {len(fresh)} messages")


def problems(lang: str, domain: str) -> list[str]:
    """Untranslated, fuzzy, obsolete or placeholder-changing entries of one catalog."""
    catalog = read(lang, domain)
    fresh = template(domain)
    if catalog is None:
        return [f"{po_path(lang, domain).relative_to(REPO)}: missing (run: python tools/i18n.py update)"]
    found = []
    ids = {m.id for m in catalog if m.id}
    for message in fresh:
        if message.id and message.id not in ids:
            found.append(f"not in the catalog yet (run update): {_short(message.id)}")
    for message in catalog:
        if not message.id:
            continue
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:1])
        if message.id not in {m.id for m in fresh if m.id}:
            found.append(f"no longer in the code (run update): {_short(message.id)}")
        elif message.fuzzy:
            found.append(f"fuzzy ({where}): {_short(message.id)}")
        elif not (all(message.string) if isinstance(message.string, tuple) else message.string):
            found.append(f"untranslated ({where}): {_short(message.id)}")
        else:
            source = message.id if isinstance(message.id, str) else message.id[0]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for s in strings:
                if placeholders(s) != placeholders(source):
                    found.append(f"placeholders differ ({where}): {sorted(placeholders(source))} vs "
                                 f"{sorted(placeholders(s))}: {_short(source)}")
    return found


def _short(message) -> str:
    text = message if isinstance(message, str) else message[0]
    text = text.replace("\n", " ")
    return text if len(text) < 70 else text[:67] + "..."


def missing() -> int:
    count = 0
    for lang in TRANSLATED:
        for domain in DOMAINS:
            for line in problems(lang, domain):
                print(f"{lang}/{domain}: {line}")
                count += 1
    print(f"{count} problem(s)")
    return 1 if count else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "missing"
    if command == "update":
        update()
        sys.exit(0)
    if command == "missing":
        sys.exit(missing())
    sys.exit(__doc__)
