"""Executes every code cell of a notebook, in order, in one namespace, as Jupyter's "Run all" would (without a Jupyter
kernel), against the run EVOMERGE_RUN; exits non-zero at the first cell that raises, naming it.

    EVOMERGE_RUN=runs/stories-ps python notebooks/run_notebook.py notebooks/evomerge_run.ipynb
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display: figures are drawn, not shown


def main(path):
    cells = [c for c in json.load(open(path))["cells"] if c["cell_type"] == "code"]
    namespace = {"__name__": "__main__"}
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        try:
            exec(compile(source, f"{path} cell {i + 1}", "exec"), namespace)
        except Exception as e:
            print(f"{path}: code cell {i + 1} of {len(cells)} failed: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    check(namespace)
    print(f"{path}: {len(cells)} code cells ran against {namespace.get('RUN')}; its tables agree with pyarrow's reading")
    return 0


def check(ns):
    """What the notebook shows against the run's tables read directly with pyarrow."""
    import pyarrow.dataset as ds

    run = ns["RUN"]
    candidates = ds.dataset(f"{run}/candidates", format="parquet").to_table(columns=["generation", "fitness"]).to_pydict()
    generations = sorted(set(candidates["generation"]))
    assert list(ns["fitness_by_generation"].index) == generations, "one row per generation"
    best = max(f for f in candidates["fitness"] if f is not None)
    assert abs(ns["fitness_by_generation"]["max"].max() - best) < 1e-12, "the best fitness"
    assert ns["best"].fitness == best, "the best recipe is the best candidate's"
    assert len(ns["test_table"]) == ds.dataset(f"{run}/test", format="parquet").count_rows(), "every test row"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "notebooks/evomerge_run.ipynb"))
