"""The bar we hold the code to: one rule in one place, imports one way, small modules.

These read the source (AST and text); they do not run it. Each fails when someone writes a
rule a second time, adds an import cycle (hidden inside a function or not) or lets a module
grow past what a reader holds in mind.
"""

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lacoe_kpi", "pillars", "metrics", "reports")
MAX_LINES = 450


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in _sources()}


def _resolve(module, node):
    """The names of our modules that an import statement anywhere in `module` reaches."""
    is_package = MODULES[module].name == "__init__.py"
    if isinstance(node, ast.Import):
        bases = [alias.name for alias in node.names]
        names = [[] for _ in bases]
    else:
        if node.level:
            anchor = module.split(".")
            anchor = anchor if is_package else anchor[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        bases = [base]
        names = [[alias.name for alias in node.names]]
    found = set()
    for base, imported in zip(bases, names, strict=True):
        submodules = [f"{base}.{name}" for name in imported if f"{base}.{name}" in MODULES]
        if submodules:
            found.update(submodules)
        if len(submodules) < len(imported) or not imported:
            # Names taken from the module itself (or a plain `import a.b`): the deepest of
            # our modules on that dotted path.
            parts = base.split(".")
            while parts and ".".join(parts) not in MODULES:
                parts.pop()
            if parts:
                found.add(".".join(parts))
    found.discard(module)
    return found


def import_graph():
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = set()
        for node in ast.walk(tree):  # every import, at the top or inside a function
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _resolve(module, node)
        graph[module] = edges
    return graph


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def test_the_import_graph_of_our_modules_is_acyclic_counting_imports_in_functions():
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function():
    # The finder itself must be able to fail.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_imports_reports_but_reports():
    graph = import_graph()
    offenders = {
        module: sorted(e for e in edges if e.split(".")[0] == "reports")
        for module, edges in graph.items()
        if module.split(".")[0] not in ("reports", "lacoe_kpi")
    }
    assert {m: e for m, e in offenders.items() if e} == {}


def test_pillars_models_import_nothing_of_ours_but_the_periods_leaf():
    # The plan's school years are written by metrics.periods, a leaf with no imports of ours.
    assert import_graph()["pillars.models"] <= {"metrics.periods"}
    assert import_graph()["metrics.periods"] == set()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_longer_than_450_lines(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: make it a package"


def _code_files(*, suffixes=(".py",)):
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in suffixes and "migrations" not in path.parts:
                yield path


def _grep(pattern, *, suffixes=(".py",), exclude=()):
    regex = re.compile(pattern)
    hits = []
    for path in _code_files(suffixes=suffixes):
        rel = str(path.relative_to(ROOT))
        if rel in exclude:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if regex.search(line):
                hits.append(f"{rel}:{number}: {line.strip()}")
    return hits


def test_one_next_period_rule():
    assert _grep(r"def next_period\b") == ["metrics/periods.py:" + _line_of(
        "metrics/periods.py", "def next_period")]


def _line_of(rel, text):
    for number, line in enumerate((ROOT / rel).read_text().splitlines(), 1):
        if text in line:
            return f"{number}: {line.strip()}"
    raise AssertionError(f"{text} not in {rel}")


SCHOOL_YEAR_ARITHMETIC = (
    r"\.month\s*(>=|<|>)\s*[67]\b"      # the July boundary
    r"|%\s*100\s*:02d"                  # two-digit second years
    r"|\+\s*1\)\s*%\s*100"
    r"|date\([\w.]+,\s*7,\s*1\)"        # 1 July
    r"|date\([\w.]+(\s*\+\s*1)?,\s*6,\s*30\)"  # 30 June
    r"|\[:4\]\)\s*[-+]\s*1"             # int(year[:4]) - 1
)


def test_no_school_year_arithmetic_outside_periods():
    assert _grep(SCHOOL_YEAR_ARITHMETIC, exclude=("metrics/periods.py",)) == []


def test_the_school_year_pattern_catches_what_it_should():
    regex = re.compile(SCHOOL_YEAR_ARITHMETIC)
    for line in ("year = d.year if d.month >= 7 else d.year - 1",
                 'f"{y}-{(y + 1) % 100:02d}"', "datetime.date(year, 7, 1)",
                 "start = int(school_year[:4]) - 1"):
        assert regex.search(line), line


def test_one_level_definition():
    assert len(_grep(r"^\s*class Level\b")) == 1


def test_status_colours_live_in_status_py_and_the_stylesheet_only():
    from metrics.status import STATUS_DISPLAY

    colours = {d.colour.lower() for d in STATUS_DISPLAY.values()}
    pattern = "|".join(re.escape(c) for c in colours)
    hits = _grep(pattern, suffixes=(".py", ".html", ".js"), exclude=("metrics/status.py",))
    hits += [
        f"{p.relative_to(ROOT)}: {line.strip()}"
        for p in (ROOT / "templates").rglob("*.html")
        for line in p.read_text().splitlines()
        if re.search(pattern, line, re.IGNORECASE)
    ]
    assert hits == []


def test_the_stylesheet_status_rules_equal_status_display():
    from metrics.status import STATUS_DISPLAY, WITHHELD, WITHHELD_DISPLAY

    css = (ROOT / "static" / "css" / "app.css").read_text()
    rules = dict(re.findall(r"\.status-(\w+)\s*\{\s*color:\s*(#[0-9a-fA-F]{6})", css))
    shown = {**STATUS_DISPLAY, WITHHELD: WITHHELD_DISPLAY}  # and the public's withheld one
    assert {k: v.lower() for k, v in rules.items()} == {
        str(status): display.colour.lower() for status, display in shown.items()
    }


def test_the_approval_decision_is_made_only_in_the_service():
    # Callers state an intent (approve=True/False/None); none computes it from access.
    assert _grep(r"approve\s*=\s*(access\.)?can_approve") == []
    assert _grep(r"approve\s*=\s*.*approvable", exclude=("metrics/services/readings.py",)) == []
    # Only the service marks a reading approved (the import's writer and the synthetic
    # generator write the state the service's rule, approved_metric_ids, gave them).
    assert _grep(r"\w\.state\s*=\s*ReadingState\.APPROVED\b",
                 exclude=("metrics/services/readings.py",)) == []
    assert len(_grep(r"def approved_metric_ids\b")) == 1
    assert _grep(r"approved_metric_ids\(", exclude=("metrics/services/readings.py",)), (
        "the import decides approval through the service's rule")


def test_no_link_is_committed():
    """A symbolic link in the repository points into one machine's folders (a worktree's
    link to another checkout's node_modules once came in with a merge): a clean clone
    elsewhere gets a dangling or looping path."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    links = [line.split("\t", 1)[1] for line in listed if line.startswith("120000 ")]
    assert not links, f"symbolic links committed: {links}"
