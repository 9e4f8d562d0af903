"""Every Kluis app has the same inner shape (docs/developer.md, "The shape of an app").

A reader who knows one app knows them all, and a new app copies what the others show. Each test
walks the Django apps under `kluis.` (INSTALLED_APPS) and names every app that is out of shape.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from django.apps import apps
from django.urls import URLResolver, get_resolver

APPS = [config for config in apps.get_app_configs() if config.name.startswith("kluis.")]
TESTS = Path(__file__).resolve().parent


def _root(config) -> Path:
    return Path(config.path)


def _modules(config):
    """(path relative to the app, parsed module) of every Python file of the app."""
    for path in sorted(_root(config).rglob("*.py")):
        rel = path.relative_to(_root(config))
        if "migrations" in rel.parts:
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"))


def _has(config, name: str) -> bool:
    """The app has module `name` (`actions` is `actions.py` or an `actions/` package)."""
    return importlib.util.find_spec(f"{config.name}.{name}") is not None


def _decorated_with(tree, name: str):
    """Line numbers of functions decorated with `name(...)` or `something.name(...)`."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                call = deco.func if isinstance(deco, ast.Call) else deco
                called = getattr(call, "id", None) or getattr(call, "attr", None)
                if called == name:
                    yield node.lineno


def test_the_walk_finds_the_apps():
    assert {"organisations", "custody", "recordings", "retention", "staff"} <= {
        config.label for config in APPS
    }


def test_permission_rules_are_registered_in_rules_py_imported_by_ready():
    """`@rule` only in an app's rules.py, and that rules.py is imported by its AppConfig.ready()
    (so every permission exists before the first request asks for it)."""
    wrong = []
    for config in APPS:
        registers = False
        for rel, tree in _modules(config):
            lines = list(_decorated_with(tree, "rule"))
            if lines and rel.as_posix() != "rules.py":
                wrong.append(f"{config.name}: @rule in {rel}:{lines[0]} (move it to rules.py)")
            registers = registers or (bool(lines) and rel.as_posix() == "rules.py")
        if registers and not _ready_imports_rules(config):
            wrong.append(f"{config.name}: rules.py is not imported by AppConfig.ready()")
    assert not wrong, "\n".join(wrong)


def _ready_imports_rules(config) -> bool:
    tree = ast.parse((_root(config) / "apps.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "ready":
            for inner in ast.walk(node):
                relative = isinstance(inner, ast.ImportFrom) and inner.level == 1
                if relative and "rules" in {inner.module, *(a.name for a in inner.names)}:
                    return True
    return False


def test_an_app_with_models_has_actions():
    """Actions are the only code that writes; an app with models has them."""
    missing = [
        config.name for config in APPS if list(config.get_models()) and not _has(config, "actions")
    ]
    assert not missing, f"these apps have models but no actions.py or actions/: {missing}"


def test_more_than_two_models_make_a_package():
    """`models/` split by concept once an app has more than two models."""
    flat = []
    for config in APPS:
        count = len(list(config.get_models()))
        if count > 2 and (_root(config) / "models.py").exists():
            flat.append(f"{config.name} ({count} models in models.py)")
    assert not flat, f"make models/ a package, one module per concept: {flat}"


def test_every_urls_module_has_an_app_name():
    """Every urls.py (and api/urls.py) names its namespace, so `reverse("app:name")` is never
    ambiguous between apps."""
    missing = []
    for config in APPS:
        for rel, tree in _modules(config):
            if rel.name != "urls.py":
                continue
            names = {
                target.id
                for node in tree.body
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            if "app_name" not in names:
                missing.append(f"{config.name}: {rel}")
    assert not missing, f"give these an app_name: {missing}"


def test_every_included_kluis_urlconf_is_namespaced():
    """The URL map includes each app's urls under its namespace: no app's names leak into the
    global namespace (Django's own and the library views excepted)."""
    bare = []
    for pattern in get_resolver().url_patterns:
        if not isinstance(pattern, URLResolver):
            continue
        module = getattr(pattern.urlconf_module, "__name__", "")
        if module.startswith("kluis.") and not pattern.namespace:
            bare.append(f"{pattern.pattern} -> {module}")
    assert not bare, f"included without a namespace: {bare}"


def test_an_app_with_urls_has_views():
    missing = []
    for config in APPS:
        for rel, _tree in _modules(config):
            if rel.name == "urls.py":
                views = _root(config) / rel.parent / "views.py"
                if not views.exists() and not (_root(config) / rel.parent / "views").is_dir():
                    missing.append(f"{config.name}: {rel} without views.py beside it")
    assert not missing, missing


def test_templates_live_under_templates_app_label():
    """`templates/<app>/...` (or `templates/admin/<app>/...` to override the admin's), so two
    apps never shadow each other's `detail.html`."""
    wrong = []
    for config in APPS:
        root = _root(config) / "templates"
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            parts = path.relative_to(root).parts
            if parts[0] == config.label or parts[:2] == ("admin", config.label):
                continue
            wrong.append(f"{config.name}: templates/{'/'.join(parts)}")
    assert not wrong, f"move these under templates/<app label>/: {wrong}"


def test_background_tasks_live_in_tasks_py():
    wrong = []
    for config in APPS:
        for rel, tree in _modules(config):
            lines = list(_decorated_with(tree, "task"))
            if lines and rel.as_posix() != "tasks.py" and rel.parts[0] != "tasks":
                wrong.append(f"{config.name}: @task in {rel}:{lines[0]}")
    assert not wrong, f"move these to the app's tasks.py: {wrong}"


def test_only_actions_write_the_audit_trail():
    """Every write goes through an action, which appends the audit entry in the same transaction
    as its change: views, API views, commands, forms, tasks and domain modules (terms, ingest,
    the purge loop) call an action; none imports `kluis.custody.log.record` itself. The trail's
    own app is the exception: it defines record() and its admin base writes through it."""
    wrong = []
    for config in APPS:
        if config.label == "custody":
            continue
        for rel, tree in _modules(config):
            if rel.parts[0] in {"actions", "actions.py"}:
                continue
            for node in ast.walk(tree):
                from_log = isinstance(node, ast.ImportFrom) and (node.module or "").endswith("log")
                if from_log and any(alias.name == "record" for alias in node.names):
                    wrong.append(f"{config.name}: {rel}:{node.lineno}")
    assert not wrong, f"call an action instead of writing the audit trail: {wrong}"


def test_every_app_has_its_tests_directory():
    """`tests/<app>/test_<behaviour>.py`: one directory per app, one file per behaviour."""
    missing = [config.label for config in APPS if not any((TESTS / config.label).glob("test_*.py"))]
    assert not missing, f"no tests/<app>/test_*.py for: {missing}"
