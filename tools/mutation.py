"""`make mutation`: mutmut over crmcore's domain and analytics, then the score.

Usage: ``python tools/mutation.py [run|report] [mutant patterns...]``.

``run`` (the default) runs ``mutmut run`` with two additions to mutmut's
configuration (``[tool.mutmut]`` in pyproject.toml):

- the lines of ``raise`` and ``assert`` statements are not mutated. Mutating
  them only rewords an error message or weakens an internal invariant; which
  error is raised, and when, is decided by the conditions around them, and
  those are mutated. The fuzz suite checks every error message names its field;
- functions that only run while their module is imported (building the
  currency table and the pipeline presets) are not mutated: mutmut runs each
  mutant in a process forked after the import, so such a mutant could never
  run. Tests of the constants they build check them instead.

It also tests ``crmcore.domain``'s mutants with the unit tests alone (see
`keep_fast_tests`): the fast subset for that package, as mutmut would
otherwise run hundreds of slower tests for each of them.

``report`` (also run after ``run``) counts the results per package, writes
``build/mutation.json`` and the surviving mutants' diffs to
``build/mutation-survivors.txt``, and fails if a package scores below 90 %.
mutmut keeps its results in ``mutants/``; a second run only re-tests what changed.
"""

import ast
import json
import sys
from collections import Counter
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


def _called(nodes: list[ast.stmt]) -> set[str]:
    return {
        n.func.id
        for node in nodes
        for n in ast.walk(node)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }


def lines_not_mutated(source: str) -> set[int]:
    """The lines of every ``raise`` and ``assert`` statement in ``source``, and of
    every module-level function that only runs while the module is imported."""
    tree = ast.parse(source)
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise | ast.Assert):
            lines.update(_span(node))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    bodies = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.Lambda)]
    at_import = _called([n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)])
    at_run = _called([n for f in bodies for n in (f.body if isinstance(f.body, list) else [])])
    for name in at_import - at_run:
        if name in functions:
            lines.update(_span(functions[name]))
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
