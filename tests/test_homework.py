"""The homework assignments in chapters/homework, run through otter-grader.

For every assignment: ``otter assign`` turns the source notebook into a student notebook
and an autograder; the student notebook holds no solution and no hidden test; the
solution gets full marks; the blank student notebook runs to the end and gets zero; and a
typical wrong answer loses the points of the right test, with a message that tells the
student what to fix. Grading uses ``otter run``'s Python entry point, which needs no
Docker.

These tests read the real MNIST from the cache (they are skipped when it is not there)
and each grading executes a notebook, so the whole file takes a few minutes.
"""

from __future__ import annotations

import glob
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from mnistlin import data as mnist_data

otter_api = pytest.importorskip("otter.api", reason="otter-grader is not installed")

# otter 7.0.0 calls DataFrame.drop(inplace=True), which pandas 3.1 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.drop")

HOMEWORK = Path(__file__).resolve().parents[1] / "chapters" / "homework"
ASSIGNMENTS = ["hw1_templates", "hw2_softmax_least_squares", "hw3_duality_separability"]

# otter assign only rewrites and zips here (the solutions are graded by the tests below).
ASSIGN_LIMIT = 120
# One grading executes the whole notebook; about 20-30 s on an idle 2-core machine. The
# limit is generous because the machines that run this suite are often shared.
GRADE_LIMIT = 180

# Cells appended to a wrong answer: the warnings they print must not disturb grading.
NOISY_CELL = """\
import warnings
np.log(np.zeros(3))
fig_noise, ax_noise = plt.subplots()
ax_noise.legend()
warnings.warn("a warning printed by a homework cell")
plt.close(fig_noise)
"""

# assignment -> (solution text, wrong text) pairs, the question that must lose points,
# and words the failing test's message must contain.
WRONG_ANSWERS = {
    "hw1_templates": (
        [(
            "train_acc = np.array([np.mean((train_products - c * penalty)",
            "train_acc = np.array([np.mean((train_products)",
        )],
        "q3",
        "centre the pixels",
    ),
    "hw2_softmax_least_squares": (
        [
            ("Xc = X_train - mu\n", "Xc = X_train\n"),
            ("b_ls = Y_train.mean(axis=0) - mu @ W_ls", "b_ls = Y_train.mean(axis=0)"),
            (
                "E = np.exp(Z - Z.max(axis=1, keepdims=True))",
                "E = np.exp(Z)",
            ),
        ],
        "q2",
        "centre the pixels",
    ),
    "hw3_duality_separability": (
        [("W_back = model_shuffled.W[np.argsort(perm)]", "W_back = model_shuffled.W[perm]")],
        "q4",
        "np.argsort(perm)",
    ),
}
# Questions that a wrong answer may also cost (they use its result); all others must
# keep full marks. The overflowing softmax of hw2 must fail q4 as well.
ALSO_FAILING = {
    "hw1_templates": set(),
    "hw2_softmax_least_squares": {"q4"},
    "hw3_duality_separability": set(),
}


@pytest.fixture(scope="module")
def mnist_cached():
    """Make notebook kernels read MNIST from the cache only; skip if it is not there."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNISTLIN_SOURCES", "cache")
        try:
            mnist_data.load_mnist(sources="cache", progress=False)
        except Exception as error:  # noqa: BLE001 - any failure means: no usable cache
            pytest.skip(f"the real MNIST is not cached: {error}")
        yield


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def assigned(request, tmp_path_factory, mnist_cached):
    """Run ``otter assign`` on a copy of one source notebook; return the paths it made."""
    name = request.param
    work = tmp_path_factory.mktemp(name)
    source = work / f"{name}.ipynb"
    shutil.copy(HOMEWORK / f"{name}.ipynb", source)
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "otter", "assign", "--no-run-tests", str(source),
         str(work / "dist")],
        cwd=work, capture_output=True, text=True, timeout=ASSIGN_LIMIT,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 0, f"otter assign failed:\n{result.stdout}\n{result.stderr}"
    zips = glob.glob(str(work / "dist" / "autograder" / "*.zip"))
    assert len(zips) == 1, f"expected one autograder zip, found {zips}"
    return {
        "name": name,
        "work": work,
        "source": source,
        "student": work / "dist" / "student" / f"{name}.ipynb",
        "solution": work / "dist" / "autograder" / f"{name}.ipynb",
        "autograder": Path(zips[0]),
        "assign_seconds": elapsed,
    }


def grade(assigned, notebook: Path, monkeypatch):
    """Grade one notebook without Docker; fail on a crashing cell or on a slow run."""
    monkeypatch.chdir(notebook.parent)
    start = time.monotonic()
    results = otter_api.grade_submission(
        str(notebook), str(assigned["autograder"]), quiet=True, debug=True
    )
    elapsed = time.monotonic() - start
    assert elapsed < GRADE_LIMIT, f"grading {notebook.name} took {elapsed:.0f} s"
    return results


def failed_cases(results, question: str):
    return [r for r in results.results[question].test_case_results if not r.passed]


def solution_lines(source_nb) -> list[str]:
    """Code the source marks as solution: ``# SOLUTION`` lines and solution blocks."""
    lines, inside = [], False
    for cell in source_nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            if re.match(r"# BEGIN SOLUTION", stripped):
                inside = True
            elif stripped == "# END SOLUTION":
                inside = False
            elif inside or re.search(r"# ?SOLUTION( NO PROMPT)?$", stripped):
                code = re.sub(r"\s*# ?SOLUTION( NO PROMPT)?$", "", stripped)
                if len(code) > 12:
                    lines.append(code)
    return lines


def hidden_tests(source_nb) -> list[str]:
    """The function definitions of the test cells configured as hidden."""
    found = []
    for cell in source_nb.cells:
        if cell.cell_type == "code" and "BEGIN TEST CONFIG" in cell.source:
            if re.search(r"^hidden: true$", cell.source, flags=re.MULTILINE):
                found.append(re.search(r"^def (\w+)\(", cell.source, flags=re.MULTILINE).group(1))
    return found


def test_assign_is_quick(assigned):
    assert assigned["assign_seconds"] < ASSIGN_LIMIT
    assert assigned["student"].is_file() and assigned["solution"].is_file()


def test_assign_runs_the_solution_despite_warnings(tmp_path, mnist_cached):
    """``otter assign`` (which grades the solution itself) ignores printed warnings."""
    name = ASSIGNMENTS[0]
    nb = nbformat.read(HOMEWORK / f"{name}.ipynb", as_version=4)
    after = next(i for i, c in enumerate(nb.cells) if "def answered" in c.source)
    nb.cells.insert(after + 1, nbformat.v4.new_code_cell(NOISY_CELL))
    source = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, source)
    result = subprocess.run(
        [sys.executable, "-m", "otter", "assign", "-v", str(source), str(tmp_path / "dist")],
        cwd=tmp_path, capture_output=True, text=True, timeout=ASSIGN_LIMIT + GRADE_LIMIT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "All autograder tests passed" in output, output


def test_student_notebook_hides_solutions_and_hidden_tests(assigned):
    source = nbformat.read(assigned["source"], as_version=4)
    student_text = assigned["student"].read_text()
    solutions = solution_lines(source)
    hidden = hidden_tests(source)
    assert solutions and hidden, "the source notebook should mark solutions and hidden tests"
    leaked = [line for line in solutions if line in student_text]
    assert not leaked, f"solution code in the student notebook: {leaked}"
    leaked = [name for name in hidden if name in student_text]
    assert not leaked, f"hidden tests in the student notebook: {leaked}"
    tests = nbformat.read(assigned["student"], as_version=4).metadata["otter"]["tests"]
    assert tests, "the student notebook should carry its public tests"
    assert "hidden=True" not in json.dumps(tests)
    # the autograder keeps the hidden tests
    solution_meta = json.dumps(nbformat.read(assigned["solution"], as_version=4).metadata)
    assert all(name in solution_meta for name in hidden)


def test_solution_gets_full_marks(assigned, monkeypatch):
    results = grade(assigned, assigned["solution"], monkeypatch)
    failures = {
        q: [c.message for c in failed_cases(results, q)] for q in results.results
        if failed_cases(results, q)
    }
    assert not failures, failures
    assert results.total == results.possible > 0


def test_blank_student_notebook_runs_and_gets_zero(assigned, monkeypatch):
    # debug=True makes a crashing cell raise instead of being skipped
    results = grade(assigned, assigned["student"], monkeypatch)
    assert results.total == 0
    for question, result in results.results.items():
        public = [r for r in result.test_case_results if not r.test_case.hidden]
        assert public, f"{question} has no public test"
        assert "still blank" in public[0].message or "returns nothing yet" in public[0].message, (
            f"{question}: the first public test should say the answer is blank, got "
            f"{public[0].message}"
        )


def test_typical_wrong_answer_fails_the_right_test(assigned, monkeypatch):
    name = assigned["name"]
    edits, question, hint = WRONG_ANSWERS[name]
    nb = nbformat.read(assigned["solution"], as_version=4)
    for old, new in edits:
        cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert len(cells) == 1, f"the solution no longer contains {old!r}"
        cells[0].source = cells[0].source.replace(old, new)
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(NOISY_CELL))
    # a submission keeps the notebook's name: its first cell opens the file by name
    wrong = assigned["work"] / "wrong" / assigned["solution"].name
    wrong.parent.mkdir(exist_ok=True)
    nbformat.write(nb, wrong)

    results = grade(assigned, wrong, monkeypatch)
    failures = failed_cases(results, question)
    assert failures, f"the wrong answer still passes {question}"
    assert any(hint in c.message for c in failures), [c.message for c in failures]
    expected_failures = {question} | ALSO_FAILING[name]
    for other, result in results.results.items():
        if other not in expected_failures:
            lost = [c.message for c in failed_cases(results, other)]
            assert result.score == result.possible, f"{other} lost points: {lost}"
        else:
            assert result.score < result.possible, f"{other} should lose points"
