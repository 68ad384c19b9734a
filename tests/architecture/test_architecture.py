"""The house stands on floors: an app imports only from its own floor or below, and no
module imports itself back through others. The floors are the README's (for developers)."""

import ast
from pathlib import Path

import accord

ROOT = Path(accord.__file__).parent

# From the ground up; an app may import apps on its own floor or below. The modules at the
# package's top (settings, urls, cli, ...) are the frame, not apps, and are not checked.
FLOORS = (
    ("analytics", "people"),
    ("core",),
    ("crm",),
    ("plan", "attribution"),
    ("qualify",),
    ("imports", "sla", "content", "calculators"),
    ("scoreboard", "journey"),
    ("demo", "api", "webhooks"),
)
FLOOR = {app: number for number, apps in enumerate(FLOORS, 1) for app in apps}
FRAME = {"env", "settings"}  # what every floor may read


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path for path in ROOT.rglob("*.py") if "migrations" not in path.parts
    }


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The accord modules `name` imports, at its top or inside a function alike: an import
    deferred into a function is a dependency all the same."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("accord.") and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    edges = {name: imports_of(name, path, known) for name, path in found.items()}
    # A package's __init__ that only hands names on is not a dependency of its modules.
    return {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in edges.items()
    }


def app_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    wrong = []
    for source, targets in sorted(edges.items()):
        here = app_of(source)
        if here not in FLOOR:
            continue
        for target in sorted(targets):
            there = app_of(target)
            if there in FRAME or there == here:
                continue
            if there not in FLOOR or FLOOR[there] > FLOOR[here]:
                wrong.append(f"{source} -> {target}")
    return wrong


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_app_has_a_floor():
    apps = {init.parent.name for init in ROOT.glob("*/__init__.py")}
    assert apps - set(FLOOR) == set()


def test_no_app_imports_a_floor_above_its_own():
    assert upward_imports(graph()) == []


def test_no_module_imports_itself_back_through_others():
    assert circles(graph()) == []


def test_the_check_sees_an_upward_import_and_a_circle():
    edges = {
        "accord.crm.models": {"accord.scoreboard.queries"},
        "accord.scoreboard.queries": {"accord.crm.models"},
    }
    assert upward_imports(edges) == ["accord.crm.models -> accord.scoreboard.queries"]
    assert circles(edges) == [["accord.crm.models", "accord.scoreboard.queries"]]


def test_the_analytics_import_no_django():
    analytics = ROOT / "analytics"
    found = []
    for path in sorted(analytics.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "django"]
    assert found == []
