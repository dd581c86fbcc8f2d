"""The Chinese edition stays in step with the English one (tools/editions.py; docs/glossary.md).

For each pair notebooks/0N_x.ipynb <-> notebooks/zh/0N_x.ipynb: the same cells (ids, kinds, order), the
same code but for the setup call's lang="zh", the same tags and slide metadata, the same formulas in
each markdown cell, links that resolve, stored outputs equal but for lessonkit's localized text (never a
number), and every Chinese markdown cell translating the *current* English cell (drift guard). The
glossary's terms are used where the English uses the English term, in notebooks and message catalogs.
Each check is also shown to fail on a deliberately broken pair.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import editions  # noqa: E402

PAIRS = [(p, editions.translation_of(p)) for p in editions.english_notebooks()]
IDS = [p.stem for p, _ in PAIRS]


def test_every_english_notebook_has_a_chinese_edition():
    assert len(PAIRS) == 7
    assert [zh.name for _, zh in PAIRS if not zh.exists()] == []
    assert sorted(p.name for p in editions.EDITIONS["zh"].glob("*.ipynb")) == [p.name for p, _ in PAIRS]


@pytest.mark.parametrize(("en", "zh"), PAIRS, ids=IDS)
def test_parity(en, zh):
    problems = editions.parity_problems(editions.load(en), editions.load(zh), "zh", zh.parent)
    assert problems == [], f"{zh.relative_to(REPO)}:\n" + "\n".join(problems[:25])


@pytest.mark.parametrize(("en", "zh"), PAIRS, ids=IDS)
def test_every_markdown_cell_is_translated(en, zh):
    for cell in editions.load(zh)["cells"]:
        if cell["cell_type"] == "markdown":
            assert editions.CJK.search(editions.source(cell)), f"{zh.name} cell {cell.get('id')} has no Chinese"


@pytest.mark.parametrize(("en", "zh"), PAIRS, ids=IDS)
def test_notebooks_use_the_glossary(en, zh):
    english = {c.get("id"): editions.source(c) for c in editions.load(en)["cells"] if c["cell_type"] == "markdown"}
    problems = []
    for cell in editions.load(zh)["cells"]:
        if cell["cell_type"] == "markdown" and cell.get("id") in english:
            problems += [f"cell {cell.get('id')}: {p}"
                         for p in editions.glossary_problems(english[cell["id"]], editions.source(cell))]
    assert problems == [], f"{zh.name}:\n" + "\n".join(problems[:25])


def test_catalogs_use_the_glossary():
    from babel.messages.pofile import read_po

    from lessonkit.i18n import DOMAINS, LOCALE_DIR

    problems = []
    for domain in DOMAINS:
        path = LOCALE_DIR / "zh" / "LC_MESSAGES" / f"{domain}.po"
        with path.open("rb") as f:
            for message in read_po(f):
                if message.id and message.string and not message.fuzzy:
                    msgid = message.id if isinstance(message.id, str) else message.id[0]
                    msgstr = message.string if isinstance(message.string, str) else message.string[0]
                    problems += [f"{domain}: {p} in {msgid[:50]!r}" for p in editions.glossary_problems(msgid, msgstr)]
    assert problems == [], "\n".join(problems[:30])


def test_the_stale_command_agrees_with_the_drift_guard():
    done = subprocess.run([sys.executable, str(REPO / "tools" / "editions.py"), "stale"],
                          capture_output=True, text=True, cwd=REPO)
    stale = [line for en, _ in PAIRS for line in editions.stale_cells(en)]
    assert done.returncode == (1 if stale else 0), done.stdout[-2000:]


# --- the checks fail on a deliberately broken pair -------------------------------------------------


def _pair():
    """English lesson 1 and a perfect synthetic translation of it (independent of the real one's state):
    the edition's code, the English outputs, every markdown cell "translated" and stamped."""
    en = editions.load(PAIRS[0][0])
    zh = copy.deepcopy(en)
    for cell in zh["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = editions.localize_code(editions.source(cell), "zh")
        elif cell["cell_type"] == "markdown":
            cell["metadata"].setdefault("lessonkit", {})["translates"] = editions.cell_hash(cell)
            cell["source"] = "中文。" + editions.source(cell)
    return en, zh


def _first(nb, kind, with_=None):
    return next(c for c in nb["cells"] if c["cell_type"] == kind and (with_ is None or with_(c)))


def _source_with(text):
    return lambda c: text in editions.source(c)


def _problems_after(change) -> list[str]:
    en, zh = _pair()
    change(en, zh)
    return editions.parity_problems(en, zh, "zh", PAIRS[0][0].parent)  # its links are the English ones


def test_a_correct_pair_has_no_problem_that_a_broken_one_reveals():
    assert _problems_after(lambda en, zh: None) == []
    baseline = set()

    def code_changed(en, zh):
        cell = _first(zh, "code", _source_with("print("))
        cell["source"] = editions.source(cell).replace("print(", "print(1, ", 1)

    def cell_removed(en, zh):
        zh["cells"].pop(3)

    def formula_changed(en, zh):
        cell = _first(zh, "markdown", _source_with("$"))
        cell["source"] = editions.source(cell).replace("$", "$2", 1)

    def english_edited(en, zh):
        cell = _first(en, "markdown")
        cell["source"] = editions.source(cell) + "\nOne more sentence."

    def link_broken(en, zh):
        for cell in zh["cells"]:
            if editions.local_links(editions.source(cell)):
                target = editions.local_links(editions.source(cell))[0]
                cell["source"] = editions.source(cell).replace(target, "nowhere/" + target, 1)
                return
        raise AssertionError("no local link to break")

    def number_changed(en, zh):
        for cell in zh["cells"]:
            for output in cell.get("outputs", []):
                text = editions.source({"source": output.get("text", "")})
                if output.get("output_type") == "stream" and editions.NUMBER.search(text):
                    output["text"] = editions.NUMBER.sub(lambda m: m.group(0) + "1", text, count=1)
                    return
        raise AssertionError("no printed number to change")

    def slide_changed(en, zh):
        cell = _first(zh, "markdown", lambda c: "slideshow" in c.get("metadata", {}))
        cell["metadata"]["slideshow"] = {"slide_type": "fragment"}

    for breakage, expected in [(code_changed, "code differs"), (cell_removed, "cells differ"),
                               (formula_changed, "formulas differ"), (english_edited, "stale"),
                               (link_broken, "does not resolve"), (number_changed, "differ"),
                               (slide_changed, "slide metadata")]:
        new = set(_problems_after(breakage)) - baseline
        assert any(expected in p for p in new), (breakage.__name__, sorted(new)[:5])


def test_localized_output_may_differ_only_in_words():
    en = {"output_type": "stream", "name": "stdout", "text": "Incorrect: 3 of 4 values differ\n"}
    assert editions.same_output(en, {**en, "text": "不正确：4 个值中有 3 个不同\n"}) is not None  # order of numbers
    assert editions.same_output(en, {**en, "text": "不正确：3 个值不同（共 4 个）\n"}) is None
    assert editions.same_output(en, {**en, "text": "Incorrect: 3 of 5 values differ\n"}) is not None
    assert editions.same_output(en, {**en, "name": "stderr"}) is not None


def test_glossary_checks_fail_on_a_wrong_term():
    rows = editions.glossary()
    assert any(r["check"] for r in rows) and any(r["avoid"] for r in rows)
    assert editions.glossary_problems("The learning rate sets the step.", "学习率决定步长。", rows) == []
    assert editions.glossary_problems("The learning rate sets the step.", "学习速率决定步长。", rows)
    assert editions.glossary_problems("Gradients of leaf nodes", "叶节点的梯度", rows)
    # a term inside a longer one is judged by the longer one; code and maths are not prose
    assert editions.glossary_problems("the vector-Jacobian product", "向量-雅可比积", rows) == []
    assert editions.glossary_problems("call `x.gradient()` on $gradient$", "调用 `x.gradient()`", rows) == []


def test_sync_keeps_translations_and_takes_code_from_english(tmp_path, monkeypatch):
    en_path, zh_path = PAIRS[-1]
    monkeypatch.setattr(editions, "EN_DIR", tmp_path)
    monkeypatch.setitem(editions.EDITIONS, "zh", tmp_path / "zh")
    en = editions.load(en_path)
    editions.save(en, tmp_path / en_path.name)
    editions.save(editions.load(zh_path), tmp_path / "zh" / zh_path.name)
    code = _first(en, "code", _source_with("print("))
    code["source"] = editions.source(code) + "\nprint('new line')"
    editions.save(en, tmp_path / en_path.name)
    editions.sync(tmp_path / en_path.name)
    synced = editions.load(tmp_path / "zh" / zh_path.name)
    new_code = next(c for c in synced["cells"] if c.get("id") == code.get("id"))
    assert editions.source(new_code).endswith("print('new line')") and new_code["outputs"] == []
    before = {c.get("id"): editions.source(c) for c in editions.load(zh_path)["cells"] if c["cell_type"] == "markdown"}
    after = {c.get("id"): editions.source(c) for c in synced["cells"] if c["cell_type"] == "markdown"}
    assert before == after


def test_the_start_page_links_every_lesson_of_both_editions():
    """`make lab` opens notebooks/START.ipynb: it links each lesson in each edition, and every link resolves."""
    start = REPO / "notebooks" / "START.ipynb"
    text = "".join(editions.source(c) for c in editions.load(start)["cells"])
    links = editions.local_links(text)
    for en, zh in PAIRS:
        assert en.name in links and f"zh/{zh.name}" in links
    assert [t for t in links if not (start.parent / t.split("#")[0]).exists()] == []
    assert "START.ipynb" in (REPO / "Makefile").read_text()


def test_the_chinese_readme_gives_the_same_two_commands():
    import re

    def commands(text: str) -> list[str]:
        blocks = re.findall(r"```bash\n(.*?)```", text, re.DOTALL)
        return [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.strip()]

    en, zh = (REPO / "README.md").read_text(), (REPO / "README.zh-CN.md").read_text()
    assert commands(en) == commands(zh) == ["make lab", "make test"]
    assert "README.zh-CN.md" in en and "README.md" in zh
    for _, path in PAIRS:
        assert f"notebooks/zh/{path.name}" in zh


def test_chinese_docs_exist_and_their_links_resolve():
    notes = REPO / "docs" / "instructor"
    assert [p.name for p in sorted(notes.glob("0*.md"))] == [p.name for p in sorted((notes / "zh").glob("0*.md"))]
    documents = [REPO / "README.md", REPO / "README.zh-CN.md", REPO / "docs" / "instructor-guide.md",
                 REPO / "docs" / "instructor-guide.zh-CN.md", *sorted((notes / "zh").glob("*.md"))]
    broken = [f"{doc.relative_to(REPO)}: {target}" for doc in documents
              for target in editions.local_links(doc.read_text(encoding="utf-8"))
              if not (doc.parent / target.split("#")[0]).exists()]
    assert broken == []
    for note in sorted((REPO / "docs" / "instructor" / "zh").glob("0*.md")):
        assert editions.CJK.search(note.read_text(encoding="utf-8")), note


@pytest.mark.parametrize(("en", "zh"), PAIRS, ids=IDS)
def test_no_line_break_between_chinese_characters(en, zh):
    """A line break inside a paragraph shows as a space; between two Chinese characters that is a visible
    gap (`python tools/editions.py reflow notebooks/0N_x.ipynb` joins them)."""
    found = [f"cell {c.get('id')}: {b!r}" for c in editions.load(zh)["cells"] if c["cell_type"] == "markdown"
             for b in editions.soft_breaks(editions.source(c))]
    assert found == [], "\n".join(found[:10])


def test_reflow_joins_only_breaks_between_chinese_characters():
    text = "第一行的中文\n第二行。\n- 列表\n`code`\n中文\n```\n代码\n注释\n```\n中文 $x$\nand English"
    joined = "第一行的中文第二行。\n- 列表\n`code`\n中文\n```\n代码\n注释\n```\n中文 $x$\nand English"
    assert editions.join_soft_breaks(text) == joined
