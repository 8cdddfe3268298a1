"""Where things live: dependencies point one way, golden <- sim <- host.driver <- host.rec <- host.bench,
with no import cycle among host modules (imports inside functions count too: a cycle dodged that way
is still a cycle), nothing in golden/ or sim/ importing host, and the driver free of torch and of the
test and simulation tool chains (a board install has numpy, scipy and pynq only)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("golden", "sim", "host.driver", "host.rec", "host.bench")  # each may import only those before it
DRIVER_THIRD_PARTY = {"numpy", "scipy", "pynq"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file, as absolute names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    return found


def sources(*tops: str) -> dict[str, Path]:
    return {module_name(p): p for top in tops for p in sorted((ROOT / top).rglob("*.py"))}


HOST = sources("host")
GRAPH = {m: {i for i in imports(p) if i in HOST and i != m} for m, p in HOST.items()}


def layer_of(module: str) -> int | None:
    """Index in LAYERS of the layer `module` belongs to (None: not in a layer)."""
    found = [k for k, layer in enumerate(LAYERS) if module == layer or module.startswith(layer + ".")]
    return max(found) if found else None


def test_no_import_cycle_among_host_modules():
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(m: str, path: list[str]):
        state[m] = 1
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                cycle = path[path.index(n):] + [n] if n in path else path + [n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("top", ["golden", "sim", "hls", "rtl"])
def test_lower_layers_never_import_host(top):
    offenders = {m: sorted(i for i in imports(p) if i == "host" or i.startswith("host."))
                 for m, p in sources(top).items()}
    assert not {m: i for m, i in offenders.items() if i}


def test_host_imports_point_down_the_layers():
    wrong = []
    for m, p in HOST.items():
        if layer_of(m) is None:  # the host package itself and the old entry-point shims
            continue
        wrong += [f"{m} imports {i}" for i in imports(p)
                  if layer_of(i) is not None and layer_of(i) > layer_of(m)]
    assert not wrong


def test_the_driver_needs_only_numpy_scipy_and_pynq():
    stdlib = __import__("sys").stdlib_module_names
    third_party = {}
    for m, p in HOST.items():
        if m == "host.driver" or m.startswith("host.driver."):
            for i in imports(p):
                top = i.split(".")[0]
                if top not in stdlib and top not in ("golden", "sim", "host") and top not in DRIVER_THIRD_PARTY:
                    third_party.setdefault(m, set()).add(top)
    assert not third_party
    # sim.harness is what the sim backend builds with: it must not pull in the test tool chain either
    for m, p in sources("sim/harness").items():
        tops = {i.split(".")[0] for i in imports(p)}
        assert not tops & {"torch", "cocotb", "cocotb_tools", "pytest"}, m
