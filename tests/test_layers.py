"""The house's layers: imports run downwards only, there are no import circles, every module
imports on its own, and the week the documents describe is the week the code runs.

Layers, lowest first: simulation.params -> simulation.engine -> simulation.experiments ->
simulation.report -> simulation.cli. ``calibration`` and ``dashboards`` sit above the
experiments and below the CLI, which is the only part of ``simulation`` that imports them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("simulation", "calibration", "dashboards")
LAYERS = {
    "simulation.params": 0,
    "simulation.engine": 1,
    "simulation.experiments": 2,
    "calibration": 3,
    "simulation.report": 3,
    "dashboards": 4,
    "simulation.cli": 5,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def layer_of(module: str) -> int | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return None if best is None else best[1]


def _resolve(name: str) -> str | None:
    """The project module an imported name lives in (longest existing prefix)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(module: str) -> list[tuple[str, bool]]:
    """(imported project module, only for type checking) for every import in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    is_package = MODULES[module].name == "__init__.py"
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target:
                    found.append((target, typing_only))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module if is_package else module.rsplit(".", 1)[0]
                anchor = ".".join(anchor.split(".")[: len(anchor.split(".")) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}") or _resolve(base)
                if target:
                    found.append((target, typing_only))
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(tree, False)
    return [(target, typing) for target, typing in found if target != module]


def test_the_layers_cover_every_module() -> None:
    assert len(MODULES) > 50
    unplaced = [m for m in MODULES if layer_of(m) is None and m not in PACKAGES]
    assert unplaced == ["simulation"] or not unplaced, unplaced


def test_no_module_imports_a_higher_layer() -> None:
    back = [f"{module} imports {target}" for module in MODULES
            for target, _ in imports(module)
            if (layer_of(module) or 0) < (layer_of(target) or 0)]
    assert not back, "imports that run back up a layer:\n" + "\n".join(sorted(set(back)))


def test_only_the_cli_imports_calibration_and_dashboards() -> None:
    offenders = sorted({f"{module} imports {target}" for module in MODULES
                        if module.startswith("simulation.")
                        and not module.startswith("simulation.cli")
                        for target, _ in imports(module)
                        if target.split(".")[0] in ("calibration", "dashboards")})
    assert not offenders, offenders


def test_there_are_no_import_circles() -> None:
    """Runtime imports (module level or inside functions) form no cycle; imports made only for
    type annotations (``if TYPE_CHECKING``) are left out, since they never run."""
    graph = {m: sorted({t for t, typing in imports(m) if not typing}) for m in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
    # a package's __init__ importing its own submodules is how Python packages work
    circles = [c for c in circles
               if not all(step == c[0] or step.startswith(c[0] + ".") for step in c)]
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_a_new_back_import_would_be_caught(tmp_path: Path) -> None:
    """The layer check itself: an engine module importing the CLI is reported."""
    planted = "simulation.engine._planted"
    MODULES[planted] = tmp_path / "planted.py"
    MODULES[planted].write_text("from simulation.cli.common import fmt\n", encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match="simulation.engine._planted imports"):
            test_no_module_imports_a_higher_layer()
    finally:
        del MODULES[planted]


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    """Each module as the first project import: project modules are dropped from
    ``sys.modules`` before each import, so a circle that breaks a first import shows."""
    names = sorted(m for m in MODULES if not m.endswith("__main__"))
    script = (
        "import importlib, sys, traceback\n"
        f"names = {names!r}\n"
        f"roots = {PACKAGES!r}\n"
        "bad = []\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] in roots]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        bad.append(name + ': ' + traceback.format_exc().splitlines()[-1])\n"
        "print('\\n'.join(bad))\n"
        "sys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_documented_week_is_the_week_the_model_runs() -> None:
    from simulation.engine import model, week

    plan = week.describe()
    assert plan in model.__doc__, "the model's docstring lists other phases than engine.week"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert plan in readme, "the README lists other phases than engine.week"


def test_mechanisms_act_in_their_named_phases_after_the_models_own_actions() -> None:
    from simulation.engine.model import RegionalLabourMarket
    from simulation.engine.week import PHASE_NAMES
    from simulation.params.loading import load_scenario

    scenario = load_scenario("koko_rekry", overrides={"region": {"job_seekers": 500}})
    region = RegionalLabourMarket(scenario, rng=1)
    try:
        assert [name for name, _ in region.week_plan] == list(PHASE_NAMES)
        # the firm side, its programme, the providers and the national activation model
        assert len(region.mechanisms) == 4
        steps = dict(region.week_plan)
        for mechanism in region.mechanisms:
            for phase, action in mechanism.phases().items():
                own = region._own_phases().get(phase, [])
                assert steps[phase].index(action) >= len(own), (phase, action)
    finally:
        region.release()


def test_a_mechanism_naming_an_unknown_phase_is_refused() -> None:
    from simulation.engine.week import plan

    with pytest.raises(ValueError, match="unknown phase 'lunch'"):
        plan({}, [{"lunch": lambda: None}])
