"""The house plan holds: no import cycles, bots that only decide, layers that import downwards only.

Imports are read with grimp, which sees every import statement: those inside functions and under
`if TYPE_CHECKING:` count like any other. docs/architecture.md draws the plan these tests enforce.
"""
from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

import grimp
import pytest

PACKAGES = ("app", "bots", "jobs", "content", "sandbox", "demo")
BOTS_MAY_IMPORT = ("bots", "content", "app.settings", "app.store.models", "app.wecom.events")
BOTS_MUST_NOT_IMPORT = ("sqlalchemy", "flask", "redis", "rq", "wechatpy", "requests")
WIRING_USERS = ("app.web.factory", "app.cli", "jobs.worker", "jobs.schedule.scheduler", "demo")
# importer -> what it must not import (prefixes)
LAYERS = {
    "content": ("app", "bots", "jobs", "sandbox", "demo"),
    "sandbox": ("app", "bots", "jobs", "content", "demo"),
    "app.wecom": ("app.store", "app.web", "app.cli", "app.wiring", "bots", "jobs", "sandbox", "demo"),
    "app.store": ("app.web", "app.cli", "app.wiring", "jobs", "sandbox", "demo"),
    "app.services": ("app.web", "app.cli", "app.wiring", "bots", "sandbox", "demo"),
    "jobs": ("app.web", "app.cli", "sandbox", "demo"),
    "app.web": ("app.cli", "sandbox", "demo"),
}


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    """Whether `module` is one of `prefixes` or inside one of them."""
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)


def imports(graph: grimp.ImportGraph, importer: str) -> list[str]:
    return sorted(graph.find_modules_directly_imported_by(importer))


def where(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    lines = graph.get_import_details(importer=importer, imported=imported)
    return f"{importer} -> {imported} (line {lines[0]['line_number']})" if lines else f"{importer} -> {imported}"


def project_modules(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if within(m, PACKAGES))


def ancestors(module: str) -> list[str]:
    """The packages whose __init__ runs before `module` does: "a.b.c" -> ["a", "a.b"]."""
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def import_edges(graph: grimp.ImportGraph, module: str) -> set[str]:
    """What importing `module` runs: each module it imports, and the packages those live in that `module` is not
    itself inside (their __init__ runs first; a package importing its own children is the usual order)."""
    own = set(ancestors(module))
    edges = set()
    for imported in imports(graph, module):
        if within(imported, PACKAGES):
            edges.add(imported)
            edges.update(a for a in ancestors(imported) if a not in own and a != module)
    return edges


def test_no_import_cycles_among_the_project_modules(graph):
    """A cycle is reported with its path; deferred and TYPE_CHECKING imports are edges too, and so is the package
    __init__ an import runs on the way."""
    modules = project_modules(graph)
    sorter = TopologicalSorter({m: sorted(import_edges(graph, m)) for m in modules})
    try:
        order = list(sorter.static_order())
    except CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(reversed(err.args[1]))}")  # each module imports the next
    assert set(order) == set(modules)


def test_the_cycle_check_sees_deferred_and_type_checking_imports(graph):
    """The check above would miss nothing: grimp records imports made inside functions and for type checkers."""
    details = [d for m in project_modules(graph) for i in imports(graph, m)
               for d in graph.get_import_details(importer=m, imported=i)]
    contents = [d["line_contents"] for d in details]
    assert any(d["line_contents"].startswith("from app.store.models import") and d["importer"] == "bots.journey"
               for d in details), "TYPE_CHECKING imports are not in the graph"
    assert any(c.startswith("from app.web.factory import") for c in contents), "function-level imports are missing"


def test_bots_import_no_session_web_queue_or_wecom_client(graph):
    """Bots decide: no SQLAlchemy session, Flask, Redis, rq, wechatpy or HTTP; project imports only from the data
    shapes and content they decide on."""
    bots = [m for m in graph.modules if within(m, ("bots",))]
    assert "bots.inquiry" in bots
    wrong = [where(graph, m, i) for m in bots for i in imports(graph, m)
             if within(i, BOTS_MUST_NOT_IMPORT) or (within(i, PACKAGES) and not within(i, BOTS_MAY_IMPORT))]
    assert wrong == []


@pytest.mark.parametrize("importer", sorted(LAYERS))
def test_layers_import_downwards_only(graph, importer):
    banned = LAYERS[importer]
    modules = [m for m in graph.modules if within(m, (importer,))]
    assert modules, f"no modules under {importer}"
    wrong = [where(graph, m, i) for m in modules for i in imports(graph, m)
             if within(i, banned) and not within(i, (importer,))]
    assert wrong == []


def test_only_entry_points_build_services(graph):
    """app.wiring builds the Services and connects the layers; only the processes' entry points call it."""
    users = sorted(graph.find_modules_that_directly_import("app.wiring"))
    assert "app.web.factory" in users
    assert [u for u in users if within(u, PACKAGES) and not within(u, WIRING_USERS)] == []
