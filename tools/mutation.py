"""`make mutation`: mutmut over crmcore's domain and analytics, then the score.

Usage: ``python tools/mutation.py [run|report] [mutant patterns...]``.

``run`` (the default) runs ``mutmut run`` with two additions to mutmut's
configuration (``[tool.mutmut]`` in pyproject.toml):

- the lines of ``raise`` and ``assert`` statements are not mutated. Mutating
  them only rewords an error message or weakens an internal invariant; which
  error is raised, and when, is decided by the conditions around them, and
  those are mutated. The fuzz suite checks every error message names its field;
- functions that run only once per process (`once_per_process`: the field
  helpers class bodies call, the currency table, the pipeline presets, the
  record-kind registry's cached builders) are not mutated: mutmut runs each
  mutant in a process forked after the import and a first run of the tests,
  so such a mutant could never run. Every test that builds a record
  exercises what they build.

It also tests ``crmcore.domain``'s mutants with the unit tests alone (see
`keep_fast_tests`): the fast subset for that package, as mutmut would
otherwise run hundreds of slower tests for each of them.

``report`` (also run after ``run``) counts the results per package, writes
``build/mutation.json`` and the surviving mutants' diffs to
``build/mutation-survivors.txt``, and fails if a package scores below 90 %.
mutmut keeps its results in ``mutants/``; a second run only re-tests what changed.
"""

import ast
import functools
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

AIM = 0.90
FAST_PACKAGE = "crmcore.domain."
FAST_TESTS = "tests/unit/"
PACKAGES = ("crmcore.domain", "crmcore.analytics")
BUILD = Path("build")


def _span(node: ast.stmt) -> range:
    end = node.end_lineno if node.end_lineno is not None else node.lineno
    return range(node.lineno, end + 1)


SOURCES = Path("src/crmcore")


def _is_cached_without_arguments(node: ast.FunctionDef) -> bool:
    """``@functools.cache`` on a function of no arguments: its body runs once per process."""
    cached = any(
        (isinstance(d, ast.Attribute) and d.attr in ("cache", "lru_cache"))
        or (isinstance(d, ast.Name) and d.id in ("cache", "lru_cache"))
        for d in node.decorator_list
    )
    a = node.args
    return cached and not (a.args or a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg)


def _locals(node: ast.FunctionDef | ast.Lambda) -> set[str]:
    """The names a function binds itself: parameters and assignments."""
    a = node.args
    names = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x}
    body = node.body if isinstance(node.body, list) else [node.body]
    for statement in body:
        for n in ast.walk(statement):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                names.add(n.id)
    return names


class _Uses(ast.NodeVisitor):
    """Where each name is called or referenced: at import (module level, class
    bodies, or inside a function whose body runs once) or inside a function."""

    def __init__(self, module: str, tree: ast.Module) -> None:
        self.module = module
        self.own = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.imported = {
            alias.asname or alias.name: f"{node.module}.{alias.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names
        }
        self.context: list[str | None] = [None]  # None: import time
        self.shadowed: list[set[str]] = [set()]
        self.in_class = 0
        self.calls: dict[str, set[str | None]] = {}
        self.referenced_at_run: set[str] = set()

    def resolve(self, name: str) -> str | None:
        """The qualified name ``module.function`` that ``name`` stands for here."""
        if name in self.own:
            return f"{self.module}.{name}"
        return self.imported.get(name)

    def _public(self, value: ast.expr, table: bool) -> None:
        if table and isinstance(value, ast.Dict):
            for key, module in zip(value.keys, value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(module, ast.Constant):
                    self.referenced_at_run.add(f"{module.value!s}.{key.value!s}")
            return
        for n in ast.walk(value):
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                self.referenced_at_run.add(self.resolve(n.value) or n.value)

    def _inside(self, node: ast.FunctionDef | ast.Lambda, context: str | None) -> None:
        self.context.append(context)
        self.shadowed.append(self.shadowed[-1] | _locals(node))
        for statement in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(statement)
        self.shadowed.pop()
        self.context.pop()

    def visit_If(self, node: ast.If) -> None:
        main = (
            isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__"
        )
        if main and len(self.context) == 1:  # if __name__ == "__main__": a program run
            self.context.append("<run>")
            self.generic_visit(node)
            self.context.pop()
        else:
            self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        # The public names (__all__, and the lazy table of crmcore/__init__.py) are
        # what users call, at run time.
        for t in node.targets:
            if isinstance(t, ast.Name) and t.id in ("__all__", "_MODULES"):
                self._public(node.value, t.id == "_MODULES")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name) and target.id in ("__all__", "_MODULES") and node.value:
            self._public(node.value, target.id == "_MODULES")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.in_class += 1
        self.generic_visit(node)
        self.in_class -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        outer = self.context[-1]
        if len(self.context) == 1 and not self.in_class:
            inner = None if _is_cached_without_arguments(node) else self.resolve(node.name)
        else:  # a method or a nested function: runs when called, at run time
            inner = "<run>" if outer is None else outer
        self._inside(node, inner)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._inside(node, "<run>" if self.context[-1] is None else self.context[-1])

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name):
            called = self.resolve(node.func.id)
            if called is not None and node.func.id not in self.shadowed[-1]:
                self.calls.setdefault(called, set()).add(self.context[-1])
        else:
            self.visit(node.func)
        for argument in [*node.args, *node.keywords]:
            self.visit(argument)

    def visit_Name(self, node: ast.Name) -> None:
        # A function passed as a value (a converter, a key) runs when it is called.
        used = self.resolve(node.id)
        if isinstance(node.ctx, ast.Load) and used and node.id not in self.shadowed[-1]:
            self.referenced_at_run.add(used)


def _module(path: Path) -> str:
    parts = path.relative_to(SOURCES.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def once_per_process() -> Mapping[str, frozenset[str]]:
    """Per source text, the names of its top-level functions whose every use is
    at import time or inside another such function: the field helpers called
    in class bodies, the builders of the record-kind registry (built once,
    then cached), the currency table and the pipeline presets. mutmut runs
    each mutant in a process forked after the import and after a first run of
    the tests, so a mutant of one of them could never run. Public names (in an
    ``__all__``) count as used at run time, by the package's users."""
    files = sorted(SOURCES.rglob("*.py"))
    texts = {_module(f): f.read_text(encoding="utf-8") for f in files}
    calls: dict[str, set[str | None]] = {}
    referenced: set[str] = set()
    defined: set[str] = set()
    for module, text in texts.items():
        tree = ast.parse(text)
        uses = _Uses(module, tree)
        uses.visit(tree)
        defined |= {f"{module}.{name}" for name in uses.own}
        for name, contexts in uses.calls.items():
            calls.setdefault(name, set()).update(contexts)
        referenced |= uses.referenced_at_run
    once = {name for name in defined if name in calls and name not in referenced}
    changed = True
    while changed:  # the greatest set closed under "only used by import-time code"
        allowed: set[str | None] = {None, *once}
        keep = {name for name in once if calls[name] <= allowed}
        changed, once = keep != once, keep
    return {
        text: frozenset(
            name
            for qualified in once
            for home, name in [qualified.rsplit(".", 1)]
            if home == module
        )
        for module, text in texts.items()
    }


def lines_not_mutated(source: str) -> set[int]:
    """The lines of every ``raise`` and ``assert`` statement in ``source``, and of
    every top-level function that runs only once per process (`once_per_process`)."""
    tree = ast.parse(source)
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise | ast.Assert):
            lines.update(_span(node))
    once = once_per_process().get(source, frozenset())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and (
            node.name in once or _is_cached_without_arguments(node)
        ):
            lines.update(_span(node))
    return lines


def keep_fast_tests(tests_by_function: dict[str, set[str]]) -> None:
    """Test ``crmcore.domain`` mutants with the unit tests only, where some
    unit test covers the function: hundreds of property, service and
    command-line tests exercise each domain function, and running them all
    takes half a minute per mutant. Analytics keep every covering test."""
    for function, tests in tests_by_function.items():
        fast = {t for t in tests if t.startswith(FAST_TESTS)}
        if function.startswith(FAST_PACKAGE) and fast:
            tests_by_function[function] = fast


def run(patterns: list[str]) -> None:
    # The engine plans' tests meet DuckDB only (tests/engines/tables.py).
    os.environ["CRMCORE_MUTATION"] = "1"
    import mutmut.__main__ as mutmut_main
    from mutmut.mutation import pragma_handling
    from mutmut.state import state

    configured = pragma_handling.get_lines_ignored_by_pattern

    def ignored(source: str) -> set[int]:
        pragma: set[int] = set(configured(source))
        return pragma | lines_not_mutated(source)

    pragma_handling.get_lines_ignored_by_pattern = ignored
    collect = mutmut_main.collect_or_load_stats

    def collect_then_keep_fast(*args: Any, **kwargs: Any) -> None:
        collect(*args, **kwargs)
        keep_fast_tests(state().tests_by_mangled_function_name)

    mutmut_main.collect_or_load_stats = collect_then_keep_fast
    # mutmut saves its stats after pruning too: put the full test map back on
    # disk, so that a later run starts from what the tests really cover.
    stats = Path("mutants/mutmut-stats.json")
    key = "tests_by_mangled_function_name"
    before = json.loads(stats.read_text())[key] if stats.exists() else {}
    try:
        mutmut_main.cli(["run", *patterns], standalone_mode=False)
    finally:
        if stats.exists():
            after = json.loads(stats.read_text())
            for function, tests in before.items():
                after[key][function] = sorted(set(after[key].get(function, [])) | set(tests))
            stats.write_text(json.dumps(after))


def package_of(mutant: str) -> str:
    return ".".join(mutant.split(".")[:2])


def report() -> int:
    from mutmut.stats import status_by_exit_code

    counts: dict[str, Counter[str]] = {package: Counter() for package in PACKAGES}
    survivors: list[tuple[str, str]] = []
    for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        for mutant, exit_code in sorted(data["exit_code_by_key"].items()):
            status = status_by_exit_code[exit_code]
            package = package_of(mutant)
            counts.setdefault(package, Counter())[status] += 1
            if status not in ("killed", "timeout"):
                survivors.append((mutant, status))
    summary = {}
    failed = False
    for package in PACKAGES:
        c = counts[package]
        total = sum(c.values())
        # mutmut's own score: a mutant that makes the tests time out is detected too.
        score = (c["killed"] + c["timeout"]) / total if total else 0.0
        failed |= score < AIM
        summary[package] = {"mutants": total, **dict(c), "score": round(score, 4)}
        print(
            f"{package}: {score:.1%} of {total} mutants detected "
            f"({c['killed']} killed, {c['timeout']} timed out); {dict(c)}"
        )
    BUILD.mkdir(exist_ok=True)
    (BUILD / "mutation.json").write_text(json.dumps(summary, indent=2) + "\n")
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diffs = []
    for mutant, status in survivors:
        try:
            diff = get_diff_for_mutant(mutant)
        except FileNotFoundError as error:  # mutmut cannot always rebuild a diff
            diff = f"(no diff: {error})"
        diffs.append(f"# {mutant} ({status})\n{diff}")
    (BUILD / "mutation-survivors.txt").write_text("\n".join(diffs))
    print(f"{len(survivors)} mutants not killed: build/mutation-survivors.txt")
    if failed:
        print(f"below the aim of {AIM:.0%} killed in {', '.join(PACKAGES)}")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    command, *patterns = argv or ["run"]
    if command == "run":
        run(patterns)
        return report()
    if command == "report":
        return report()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
