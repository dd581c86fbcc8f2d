"""The course's two editions, kept in step: notebooks/ (English, the source) and notebooks/zh/ (简体中文).

A Chinese notebook has the same file name, the same cells in the same order with the same ids, the same
code (but for the setup call's ``lang="zh"``), tags and slide metadata. Each Chinese markdown cell records,
in ``metadata.lessonkit.translates``, a hash of the English cell it translates: when the English cell
changes, the translation is stale until someone updates it and stamps it again.

    python tools/editions.py stale [NB ...]    list untranslated and stale Chinese cells (exit 1 if any)
    python tools/editions.py sync NB ...       create or update notebooks/zh/NB from the English NB:
                                               structure, code, tags and slide metadata from English;
                                               Chinese markdown kept for every cell id it already has
                                               (a new English markdown cell arrives in English, untranslated)
    python tools/editions.py reflow NB ...     join the line breaks between Chinese characters of a translation's
                                               markdown (a browser shows each as a space)
    python tools/editions.py stamp NB [--cells ID,...]
                                               record that the Chinese cells (all, or the listed ids)
                                               translate the current English ones (after translating them)

`make stale` runs `stale` for every notebook. tests/test_editions.py runs the same checks.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EN_DIR = REPO / "notebooks"
EDITIONS = {"zh": EN_DIR / "zh"}
SETUP_CALL = re.compile(r"lessonkit\.setup\((?P<args>[^)]*)\)")


def english_notebooks() -> list[Path]:
    return sorted(EN_DIR.glob("0*.ipynb"))


def all_notebooks() -> list[Path]:
    """Every lesson notebook of every edition: notebooks/0N_*.ipynb (English), then each translation's
    (notebooks/zh/0N_*.ipynb). What tests, the browser runs and tools/regenerate.py go through."""
    return english_notebooks() + [path for folder in EDITIONS.values() for path in sorted(folder.glob("0*.ipynb"))]


def translation_of(en_path: Path, lang: str = "zh") -> Path:
    return EDITIONS[lang] / en_path.name


def english_of(path: Path) -> Path:
    return EN_DIR / path.name


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def cell_hash(cell: dict) -> str:
    """The fingerprint of an English cell's text (what a translation records)."""
    return hashlib.sha256(source(cell).encode("utf-8")).hexdigest()[:16]


def localize_code(code: str, lang: str) -> str:
    """English code -> the edition's code: the setup call gets ``lang=...``; nothing else changes."""
    def add(match: re.Match) -> str:
        args = match.group("args").strip()
        return f'lessonkit.setup({args + ", " if args else ""}lang="{lang}")'
    return SETUP_CALL.sub(add, code, count=1)


def delocalize_code(code: str, lang: str) -> str:
    """The inverse of localize_code (used to compare an edition's code with the English code)."""
    return code.replace(f', lang="{lang}")', ")", 1).replace(f'lessonkit.setup(lang="{lang}")', "lessonkit.setup()", 1)


def recorded_hash(cell: dict) -> str | None:
    return ((cell.get("metadata") or {}).get("lessonkit") or {}).get("translates")


def stale_cells(en_path: Path, lang: str = "zh") -> list[str]:
    """Markdown cells of the translation that are untranslated or translate an older English text."""
    path = translation_of(en_path, lang)
    if not path.exists():
        return [f"{path.relative_to(REPO)}: missing (python tools/editions.py sync {en_path.relative_to(REPO)})"]
    en, tr = load(en_path)["cells"], {c.get("id"): c for c in load(path)["cells"]}
    found = []
    for cell in en:
        if cell["cell_type"] != "markdown":
            continue
        other = tr.get(cell.get("id"))
        first = source(cell).strip().splitlines()[0][:60] if source(cell).strip() else ""
        if other is None:
            found.append(f"{path.name} cell {cell.get('id')}: not in the translation ({first})")
        elif recorded_hash(other) is None:
            found.append(f"{path.name} cell {cell.get('id')}: untranslated ({first})")
        elif recorded_hash(other) != cell_hash(cell):
            found.append(f"{path.name} cell {cell.get('id')}: stale, the English changed ({first})")
    return found


def sync(en_path: Path, lang: str = "zh") -> Path:
    """Create or update the translation's structure from the English notebook (see the module doc)."""
    path = translation_of(en_path, lang)
    en = load(en_path)
    old = {c.get("id"): c for c in load(path)["cells"]} if path.exists() else {}
    nb = copy.deepcopy(en)
    for cell in nb["cells"]:
        previous = old.get(cell.get("id"))
        if cell["cell_type"] == "code":
            cell["source"] = localize_code(source(cell), lang)
            if previous is not None and previous["cell_type"] == "code" and \
                    delocalize_code(source(previous), lang) == source(en_cell(en, cell)):
                cell["outputs"] = previous.get("outputs", [])  # still the edition's own outputs
            else:
                cell["outputs"], cell["execution_count"] = [], None  # run tools/regenerate.py
        elif previous is not None and previous["cell_type"] == cell["cell_type"]:
            cell["source"] = source(previous)
            meta = (previous.get("metadata") or {}).get("lessonkit")
            if meta:
                cell.setdefault("metadata", {})["lessonkit"] = meta
            if "attachments" in previous:
                cell["attachments"] = previous["attachments"]
    nb.setdefault("metadata", {})["language_info"] = en.get("metadata", {}).get("language_info", {})
    nb["metadata"]["lessonkit"] = {"edition": lang, "translates": en_path.name}
    save(nb, path)
    return path


def en_cell(en: dict, cell: dict) -> dict:
    return next(c for c in en["cells"] if c.get("id") == cell.get("id"))


def stamp(path: Path, cells: set[str] | None = None) -> int:
    """Record the English hashes in the translation's markdown cells (all, or the given ids)."""
    en = {c.get("id"): c for c in load(english_of(path))["cells"]}
    nb = load(path)
    count = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown" or (cells is not None and cell.get("id") not in cells):
            continue
        original = en.get(cell.get("id"))
        if original is None:
            continue
        cell.setdefault("metadata", {}).setdefault("lessonkit", {})["translates"] = cell_hash(original)
        count += 1
    save(nb, path)
    return count


# A line break inside a paragraph is a "soft break": JupyterLab (like any browser) shows it as a space.
# Between two Chinese characters that space is a visible gap, so a Chinese paragraph is one line.
CJK_OR_PUNCT = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
SOFT_BREAK = re.compile(rf"(?<={CJK_OR_PUNCT})[ \t]*\n[ \t]*(?={CJK_OR_PUNCT})")


def soft_breaks(text: str) -> list[str]:
    """Line breaks between two Chinese characters inside a paragraph (outside code fences)."""
    found = []
    for part in re.split(r"(```.*?```)", text, flags=re.DOTALL):
        if not part.startswith("```"):
            found += [part[max(0, m.start() - 10):m.end() + 10] for m in SOFT_BREAK.finditer(part)]
    return found


def join_soft_breaks(text: str) -> str:
    return "".join(part if part.startswith("```") else SOFT_BREAK.sub("", part)
                   for part in re.split(r"(```.*?```)", text, flags=re.DOTALL))


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    if command == "stale":
        paths = [english_of(Path(p)) for p in args] or english_notebooks()
        found = [line for p in paths for line in stale_cells(p)]
        print("\n".join(found) if found else "every translated cell is up to date")
        return 1 if found else 0
    if command == "sync":
        for p in args:
            print(f"synced {sync(english_of(Path(p))).relative_to(REPO)}")
        return 0
    if command == "reflow":  # join the soft breaks between Chinese characters in the given translations
        for p in args:
            path = translation_of(english_of(Path(p)))
            nb = load(path)
            for cell in nb["cells"]:
                if cell["cell_type"] == "markdown":
                    cell["source"] = join_soft_breaks(source(cell))
            save(nb, path)
            print(f"reflowed {path.relative_to(REPO)}")
        return 0
    if command == "stamp":
        cells = None
        if "--cells" in args:
            i = args.index("--cells")
            cells = set(args[i + 1].split(","))
            args = args[:i] + args[i + 2:]
        for p in args:
            path = translation_of(english_of(Path(p)))
            print(f"{path.relative_to(REPO)}: {stamp(path, cells)} cell(s) stamped")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# --------------------------------------------------------------------------------------------------
# Parity: what tests/test_editions.py checks for each pair (pure functions on notebook dicts)

MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def formulas(text: str) -> list[str]:
    """Every $...$ and $$...$$ of a markdown text (sorted: a translation may reorder a sentence)."""
    return sorted((m.group(1) or m.group(2)).strip() for m in MATH.finditer(text))


def local_links(text: str) -> list[str]:
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z]+:|^#", t)]


def _counted(links: list[str]) -> list[str]:
    """Links that must correspond one to one (a translation may add links to the glossary)."""
    return [t for t in links if not t.split("#")[0].endswith("glossary.md")]


def _meta(cell: dict) -> tuple:
    metadata = cell.get("metadata") or {}
    return sorted(metadata.get("tags") or []), metadata.get("slideshow")


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return source({"source": output.get("text", "")})
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    data = output.get("data") or {}
    return source({"source": data.get("text/html") or data.get("text/plain") or ""})


def same_output(en: dict, tr: dict) -> str | None:
    """None when a translated cell's output matches the English one apart from localized text."""
    if en.get("output_type") != tr.get("output_type"):
        return f"output type {en.get('output_type')} vs {tr.get('output_type')}"
    if en.get("output_type") == "stream" and en.get("name") != tr.get("name"):
        return f"stream {en.get('name')} vs {tr.get('name')}"
    if en.get("output_type") in ("display_data", "execute_result") and \
            sorted(en.get("data", {})) != sorted(tr.get("data", {})):
        return f"mime types {sorted(en.get('data', {}))} vs {sorted(tr.get('data', {}))}"
    a, b = _output_text(en), _output_text(tr)
    if a == b:
        return None
    if not CJK.search(b) or CJK.search(a):  # only lessonkit's localized text may differ ...
        return "text differs and is not a translation: " + _first_difference(a, b)
    if NUMBER.findall(_strip_markup(a)) != NUMBER.findall(_strip_markup(b)):  # ... never a number in it
        return "numbers differ: " + _first_difference(" ".join(NUMBER.findall(_strip_markup(a))),
                                                      " ".join(NUMBER.findall(_strip_markup(b))))
    return None


def _strip_markup(text: str) -> str:
    return re.sub(r"<[^>]+>|&[a-z#0-9]+;", " ", text)


def _first_difference(a: str, b: str) -> str:
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"{a[max(0, i - 30):i + 30]!r} vs {b[max(0, i - 30):i + 30]!r}"


def parity_problems(en_nb: dict, tr_nb: dict, lang: str = "zh", tr_dir: Path | None = None) -> list[str]:
    """Every way a translated notebook differs from its English one beyond its translated prose."""
    found = []
    en_cells, tr_cells = en_nb["cells"], tr_nb["cells"]
    if [(c.get("id"), c["cell_type"]) for c in en_cells] != [(c.get("id"), c["cell_type"]) for c in tr_cells]:
        return [f"cells differ: {len(en_cells)} English vs {len(tr_cells)} translated, or their ids/kinds/order"]
    for en, tr in zip(en_cells, tr_cells):
        where = f"cell {en.get('id')}"
        if _meta(en) != _meta(tr):
            found.append(f"{where}: tags or slide metadata differ")
        if en["cell_type"] == "code":
            if delocalize_code(source(tr), lang) != source(en):
                found.append(f"{where}: code differs from the English cell")
            if localize_code(source(en), lang) != source(tr):
                found.append(f"{where}: code is not the English code with the edition's setup call")
            en_out, tr_out = en.get("outputs", []), tr.get("outputs", [])
            if len(en_out) != len(tr_out):
                found.append(f"{where}: {len(en_out)} English outputs vs {len(tr_out)}")
            for a, b in zip(en_out, tr_out):
                problem = same_output(a, b)
                if problem:
                    found.append(f"{where}: {problem}")
        elif en["cell_type"] == "markdown":
            if formulas(source(en)) != formulas(source(tr)):
                missing = sorted(set(formulas(source(en))) ^ set(formulas(source(tr))))
                found.append(f"{where}: formulas differ ({missing[:3]})")
            if recorded_hash(tr) != cell_hash(en):
                found.append(f"{where}: " + ("untranslated" if recorded_hash(tr) is None else
                                             "stale: the English cell changed since it was translated"))
            if len(_counted(local_links(source(en)))) != len(_counted(local_links(source(tr)))):
                found.append(f"{where}: {len(local_links(source(en)))} links in English, "
                             f"{len(local_links(source(tr)))} in the translation")
            if tr_dir is not None:
                for target in local_links(source(tr)):
                    if not (tr_dir / target.split("#")[0]).exists():
                        found.append(f"{where}: link {target} does not resolve")
    return found


# --------------------------------------------------------------------------------------------------
# The glossary (docs/glossary.md): one Chinese term per English term

GLOSSARY = REPO / "docs" / "glossary.md"


def glossary() -> list[dict]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("English", "") or set(cells[0]) <= {"-"}:
            continue
        english, chinese, check, avoid, _note = cells
        rows.append({"en": english, "zh": chinese, "check": check == "✓",
                     "avoid": [a for a in avoid.split("、") if a]})
    return rows


CODE_LINE = re.compile(r"^\s*(def |return\b|for |if |elif |else:|while |import |from |with |print\(|"
                       r"[A-Za-z_][\w.\[\], ]*\s*[-+*/]?=[^=]|[A-Za-z_][\w.]*\()")


def _is_code(line: str) -> bool:
    return bool(CODE_LINE.match(line)) and not CJK.search(line.partition("#")[0])


def _prose(text: str) -> str:
    """Text without code spans, code blocks, code lines (their comments kept), {placeholders} and maths
    (terms are matched in prose only)."""
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = re.sub(r"`[^`]*`", " ", text)
    text = "\n".join(line.partition("#")[2] if _is_code(line) else line for line in text.splitlines())
    text = re.sub(r"\{[^{}\s]*\}", " ", text)
    return MATH.sub(" ", text)


def term_pattern(english: str) -> re.Pattern:
    dash = r"[\s\-\u2010\u2011\u2013\u2014]+"  # space, hyphen, non-breaking hyphen, en and em dash
    words = dash.join(re.escape(w) for w in re.split(dash, english))
    return re.compile(rf"(?<![\w\-\u2013]){words}(?:s|es)?(?![\w\-\u2013])", re.IGNORECASE)


def glossary_problems(english: str, chinese: str, rows: list[dict] | None = None) -> list[str]:
    """Terms the English text uses whose glossary translation the Chinese lacks; avoided spellings."""
    found = []
    en_prose, zh_prose = _prose(english), _prose(chinese)
    rows = rows or glossary()
    for row in sorted(rows, key=lambda r: -len(r["en"])):  # "vector-Jacobian product" before "Jacobian"
        pattern = term_pattern(row["en"])
        if row["check"] and pattern.search(en_prose) and row["zh"] not in zh_prose:
            found.append(f"'{row['en']}' is not translated as {row['zh']}")
        en_prose = pattern.sub(" ", en_prose)
    for row in rows:
        for bad in row["avoid"]:
            if bad in zh_prose:
                found.append(f"{bad}: use {row['zh']} ('{row['en']}')")
    return found
