"""Every ```python snippet of README.md and docs/HOST.md runs as written: the snippets of one page
run in order in one namespace (a later snippet may use what an earlier one made), from a
temporary directory, and must not raise. A snippet that needs the Verilator build is marked sim."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("README.md", "docs/HOST.md")
SNIPPET = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def snippets(page: str) -> list[str]:
    return SNIPPET.findall((ROOT / page).read_text())


@pytest.mark.sim
@pytest.mark.parametrize("page", PAGES)
def test_page_snippets_run(page, tmp_path, monkeypatch, capsys):
    code = snippets(page)
    assert code, f"{page} has no python snippet"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for k, snippet in enumerate(code):
        try:
            exec(compile(snippet, f"{page} snippet {k + 1}", "exec"), namespace)
        except Exception as e:
            pytest.fail(f"{page} snippet {k + 1} raised {type(e).__name__}: {e}\n{snippet}")
    capsys.readouterr()
