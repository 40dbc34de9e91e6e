"""The layers of docs/ARCHITECTURE.md, checked on the code: which way imports may lean, and no import cycle.

Every import counts, at module level or inside a function: an import placed inside a function to dodge a cycle
is a cycle all the same. Only the heavy optional libraries (matplotlib, openpyxl) may be imported lazily.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")

# Lowest first. A module may import its own layer or a lower one, never a higher one.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base values", ("bot.settings", "bot.clock", "bot.i18n", "bot.messages", "bot.ratelimit", "bot.logs")),
    ("domain and storage", ("storage",)),
    (
        "domain views",
        (
            "bot.nlu",
            "bot.reports",
            "bot.reminders.texts",
            "bot.reminders.planner",
            "bot.reminders.notices",
            "bot.imports_files",
        ),
    ),
    ("handlers", ("handlers",)),
    ("engine", ("bot.engine", "bot.engine_process", "bot.engine_lanes", "bot.choices", "bot.flood")),
    (
        "edges",
        (
            "bot.channels",
            "bot.sandbox",
            "bot.web",
            "bot.webpages",
            "bot.files",
            "bot.outbox_sender",
            "bot.outbox",
            "bot.pacing",
            "bot.delivery",
            "bot.reminders",
            "bot.metrics",
            "bot.leadership",
        ),
    ),
    ("wiring", ("bot.app", "bot.app_channels", "bot.app_sandbox", "bot.cli", "bot.config")),
]
# Imports allowed inside a function: heavy libraries loaded only when a chart or a file is made.
LAZY_ALLOWED = ("matplotlib", "openpyxl")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def _resolve(importer: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inside = {id(child) for f in functions for child in ast.walk(f) if child is not f}
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, node, path.name == "__init__.py")
            # `from bot import config` imports the module bot.config
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            yield Import(name, target, node.lineno, id(node) in inside)


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer index): the longest prefix wins
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def all_imports() -> list[Import]:
    modules = project_modules()
    known = set(modules)
    return [imp for name, path in modules.items() for imp in imports_of(name, path, known)]


def _project(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def test_every_module_has_a_layer() -> None:
    assert [m for m in project_modules() if layer_of(m) is None and m not in PACKAGES] == []


def test_no_import_leans_upward() -> None:
    upward = []
    for imp in all_imports():
        if not _project(imp.imported) or imp.imported in PACKAGES:
            continue
        low, high = layer_of(imp.imported), layer_of(imp.importer)
        if low is not None and high is not None and low > high:
            upward.append(f"{imp.importer}:{imp.line} ({LAYERS[high][0]}) imports {imp.imported} ({LAYERS[low][0]})")
    assert upward == []


def test_storage_and_handlers_know_nothing_above_them() -> None:
    forbidden = {
        "storage": ("bot", "handlers"),
        "handlers": (
            "bot.channels",
            "bot.sandbox",
            "bot.config",
            "bot.app",
            "bot.cli",
            "bot.web",
            "bot.outbox_sender",
            "bot.engine",
            "telegram",
            "aiohttp",
        ),
    }
    found = [
        f"{imp.importer}:{imp.line} imports {imp.imported}"
        for imp in all_imports()
        for package, banned in forbidden.items()
        if imp.importer.split(".")[0] == package
        for prefix in banned
        if imp.imported == prefix or imp.imported.startswith(prefix + ".")
    ]
    assert found == []


def test_no_imports_inside_functions() -> None:
    lazy = [
        f"{imp.importer}:{imp.line} imports {imp.imported}"
        for imp in all_imports()
        if imp.in_function and not imp.imported.startswith(LAZY_ALLOWED)
    ]
    assert lazy == []


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for imp in all_imports():
        if _project(imp.imported) and imp.imported != imp.importer and imp.imported not in PACKAGES:
            graph.setdefault(imp.importer, set()).add(imp.imported)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []
