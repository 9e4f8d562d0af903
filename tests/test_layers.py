"""Apps depend downward only (issue 14; the diagram is in docs/developer.md, "Layers").

Every module of src/kluis is parsed, and every import in it counts: at module level and inside
functions alike, since an import moved into a function to dodge a cycle is still a dependency,
and so does a model looked up by name (`apps.get_model("recordings", "Recording")`). An import
that points up the layer order fails with the file and line that makes it.

The pure packages (sealed, camera, media) run on a camera without the server: they import no
Django and no other part of Kluis, except that camera and media may use sealed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kluis

SRC = Path(kluis.__file__).parent

#: Bottom to top. A module may import its own app, anything in a lower layer, and anything in its
#: own layer (the infrastructure layer and the wiring at the top hold several packages).
LAYERS: list[tuple[str, ...]] = [
    # Infrastructure: no app. core is the clock, problems, the gate, the permission registry.
    ("core", "sealed", "camera", "media"),
    # The audit trail: every app's actions write it, so it sits under them all. Its tables refer
    # to organisations' by name ("organisations.Organisation"), which imports nothing.
    ("custody",),
    ("organisations",),
    ("devices",),
    ("recordings",),
    ("retention",),
    ("viewing",),
    ("reports",),
    # The front ends (the citizen portal joins this layer).
    ("staff",),
    # The wiring: settings, the URL map, the command lines.
    ("conf", "cli", "server_cli"),
]

LAYER_OF = {app: index for index, apps in enumerate(LAYERS) for app in apps}

PURE = {"sealed": set(), "camera": {"sealed"}, "media": {"sealed"}}
DJANGO_ROOTS = {"django", "rest_framework", "drf_spectacular", "channels", "django_otp", "axes"}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if "migrations" in rel.parts:
            continue  # generated; they name other apps only as strings in `dependencies`
        yield path, rel


def _package_of(rel: Path) -> list[str]:
    parts = ["kluis", *rel.with_suffix("").parts]
    return parts[:-1]  # the package a relative import starts from (also for __init__.py)


def _model_label(node: ast.Call) -> str | None:
    """The app label of `get_model("label", "Model")` or `get_model("label.Model")`."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name != "get_model" or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value.split(".")[0]
    return None


def _imports(path: Path, rel: Path):
    """(line, dotted name) of every import in the module, relative ones made absolute; a model
    looked up by name counts as an import of its app."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (label := _model_label(node)) in LAYER_OF:
            yield node.lineno, f"kluis.{label}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(rel)[: len(_package_of(rel)) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "kluis":
                # `from kluis import sealed`: each name is the package it imports.
                for alias in node.names:
                    yield node.lineno, f"kluis.{alias.name}"
            else:
                yield node.lineno, module


def _app(dotted: str) -> str | None:
    parts = dotted.split(".")
    if parts[0] != "kluis":
        return None
    return parts[1] if len(parts) > 1 else "kluis"


def _app_of_module(rel: Path) -> str:
    return rel.with_suffix("").parts[0]


def test_every_app_has_a_layer():
    apps = {_app_of_module(rel) for _, rel in _modules()} - {"__init__"}
    unknown = sorted(apps - set(LAYER_OF))
    assert not unknown, (
        f"{unknown} have no place in the layer order: add them to LAYERS in tests/test_layers.py "
        "and to the diagram in docs/developer.md"
    )


def test_apps_depend_downward_only():
    upward = []
    for path, rel in _modules():
        app = _app_of_module(rel)
        if app not in LAYER_OF:
            continue  # test_every_app_has_a_layer names it
        for line, dotted in _imports(path, rel):
            target = _app(dotted)
            if target is None or target == app or target == "kluis":
                continue
            if target not in LAYER_OF or LAYER_OF[target] > LAYER_OF[app]:
                upward.append(f"src/kluis/{rel}:{line}: {app} imports {dotted} (a higher layer)")
    assert not upward, (
        "Imports that point up the layer order (docs/developer.md, 'Layers'); move the code to "
        "the layer it belongs to, or let the higher app register itself in its AppConfig.ready:\n"
        + "\n".join(upward)
    )


def test_the_pure_packages_import_no_django_and_no_other_app():
    wrong = []
    for path, rel in _modules():
        app = _app_of_module(rel)
        if app not in PURE:
            continue
        for line, dotted in _imports(path, rel):
            root = dotted.split(".")[0]
            target = _app(dotted)
            if root in DJANGO_ROOTS or root.startswith("django"):
                wrong.append(f"src/kluis/{rel}:{line}: {app} imports {dotted} (Django)")
            elif target not in (None, app) and target not in PURE[app]:
                wrong.append(f"src/kluis/{rel}:{line}: {app} imports {dotted}")
    assert not wrong, (
        "The pure packages run on the camera without the server (ARCHITECTURE.md):\n"
        + "\n".join(wrong)
    )


def test_the_scan_sees_function_level_imports(tmp_path):
    """The test itself: an import inside a function counts like one at the top."""
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from kluis.staff import auth\n"
        "def g():\n    return apps.get_model('recordings', 'Recording')\n",
        encoding="utf-8",
    )
    found = list(_imports(module, Path("viewing/m.py")))
    assert found == [(2, "kluis.staff"), (4, "kluis.recordings")]
