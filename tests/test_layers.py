"""The layering the design draws: the library (ingest, index, assistant) never imports the evaluation
or a surface (cli, api, ui, app.py), and the surfaces reach the library only through `assistant`."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ("ingest", "index", "assistant")
SURFACES = ("cli", "api", "ui")


def imported(path: Path) -> set[str]:
    """Top-level packages a module imports, at any depth (lazy imports inside functions included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", LIBRARY)
def test_the_library_never_imports_the_evaluation_or_a_surface(package):
    for path in (ROOT / package).rglob("*.py"):
        wrong = imported(path) & {"eval", *SURFACES, "app"}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


@pytest.mark.parametrize("surface", SURFACES + ("app.py",))
def test_surfaces_reach_the_library_only_through_assistant(surface):
    paths = [ROOT / surface] if surface.endswith(".py") else list((ROOT / surface).rglob("*.py"))
    allowed = {"eval"} if surface == "cli" else set()  # `hmiqa eval` runs the evaluation
    for path in paths:
        wrong = imported(path) & ({"ingest", "index", "eval"} - allowed)
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}; call Assistant instead"
    for path in paths:  # nor does a surface reach into the facade's index
        assert ".index." not in path.read_text(encoding="utf-8"), path


def test_no_module_below_the_surfaces_is_handed_the_assistant():
    """Helpers get the small records and contracts they need (assistant/corpus.py's Corpus, callables),
    never the facade: a parameter named or annotated `assistant`/`Assistant` outside it is a leak."""
    for path in (ROOT / "assistant").rglob("*.py"):
        if path.name == "facade.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in node.args.args + node.args.kwonlyargs:
                    note = ast.unparse(arg.annotation) if arg.annotation else ""
                    assert arg.arg != "assistant" and "Assistant" not in note, \
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}() takes the Assistant"


@pytest.mark.parametrize("spelled", ['"extractive", "llm"', '"md", "docx"', '"json", "md"', "wordprocessingml",
                                     '"hybrid", "dense"', '"recommendation", "area_for_improvement"',
                                     '".pdf", ".txt"', "1800", "2200"])
def test_each_vocabulary_is_spelled_out_once(spelled):
    places = [p.relative_to(ROOT) for package in LIBRARY + SURFACES + ("eval",)
              for p in (ROOT / package).rglob("*.py") if spelled in p.read_text(encoding="utf-8")]
    places += [Path("app.py")] if spelled in (ROOT / "app.py").read_text(encoding="utf-8") else []
    assert len(places) <= 1, f"{spelled} is written in {places}; import it from assistant/vocabulary.py"
