"""Every ```python block of README.md and docs/*.md runs as written from the repository's
root (the blocks of one file in one namespace, in order); a line `x  # value` in a block is
checked when the comment is a Python literal (`# 'sensor-0'`)."""
import ast
import glob
import os
import re

import pytest

from conftest import ROOT

FILES = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))


def python_blocks(path):
    text = open(path, encoding="utf-8").read()
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


@pytest.mark.parametrize("path", [p for p in FILES if python_blocks(p)],
                         ids=lambda p: os.path.relpath(p, ROOT))
def test_python_examples_run(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    ns = {"__name__": "__doc_example__"}
    for block in python_blocks(path):
        for stmt in ast.parse(block).body:
            code = ast.get_source_segment(block, stmt)
            exec(compile(ast.Module([stmt], []), path, "exec"), ns)
            # `expr  # literal`: the value is checked
            line = block.splitlines()[stmt.end_lineno - 1]
            if isinstance(stmt, ast.Expr) and "#" in line:
                comment = line.split("#", 1)[1].strip()
                try:
                    want = ast.literal_eval(comment)
                except (ValueError, SyntaxError):
                    continue
                assert eval(code, ns) == want, f"{path}: {code}"
