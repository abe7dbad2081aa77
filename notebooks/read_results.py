"""Reading an evomerge run's Parquet tables outside Spark (pyarrow, DuckDB); paste into a notebook.

    pip install pyarrow duckdb        # neither is needed by evomerge itself
    python3 notebooks/read_results.py runs/stories-ps
"""
import os
import sys

import duckdb
import pyarrow.dataset as ds

run = sys.argv[1] if len(sys.argv) > 1 else "runs/stories-ps"

# pyarrow: the whole candidates table (one file per generation), as Arrow
candidates = ds.dataset(f"{run}/candidates", format="parquet").to_table()
print(f"{candidates.num_rows} candidates, columns: {', '.join(candidates.column_names)}")

# DuckDB: fitness per generation, and the failed candidates with their errors
print(duckdb.sql(f"""
    SELECT generation, count(*) AS candidates, max(fitness) AS best, avg(fitness) AS mean,
           count(error) AS failed, sum(build_seconds) AS build_s, sum(eval_seconds) AS eval_s
    FROM '{run}/candidates/*.parquet' GROUP BY generation ORDER BY generation"""))
print(duckdb.sql(f"SELECT generation, candidate, error FROM '{run}/candidates/*.parquet' WHERE error IS NOT NULL LIMIT 5"))

# per-shard work: how often an executor reused a candidate it had built, parent loads per executor
print(duckdb.sql(f"""
    SELECT executor, count(*) AS tasks, sum(CASE WHEN reused THEN 1 ELSE 0 END) AS reused,
           max(parent_loads) AS parent_loads
    FROM '{run}/shards/*.parquet' GROUP BY executor"""))

# the test table (parents, linear merge, evolved) and the best recipe
print(duckdb.sql(f"SELECT model, metrics, fitness FROM '{run}/test/results.parquet'"))
best = duckdb.sql(f"SELECT recipe FROM '{run}/candidates/*.parquet' ORDER BY fitness DESC NULLS LAST LIMIT 1").fetchone()[0]
print(best)

# a multi-objective run (optimizer: nsga2): the Pareto front, the member best/ holds first, and each
# generation's non-dominated candidates by NSGA-II's rank
if os.path.exists(f"{run}/front"):
    print(duckdb.sql(f"""
        SELECT generation, candidate, pareto_objectives, fitness, chosen, recipe_file
        FROM '{run}/front/*.parquet' ORDER BY chosen DESC, generation, candidate"""))
    print(duckdb.sql(f"""
        SELECT generation, count(*) FILTER (WHERE pareto_rank = 0) AS rank_0, max(pareto_rank) + 1 AS fronts
        FROM '{run}/candidates/*.parquet' GROUP BY generation ORDER BY generation"""))
