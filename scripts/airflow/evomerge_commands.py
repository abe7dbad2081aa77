"""The commands evomerge's Airflow DAG runs, built by plain Python (no Airflow needed to build or test them).

An evolve run is one command: `scripts/evolve CONFIG --out OUT`, under spark-submit when SPARK_SUBMIT is given.
Airflow retries and reschedules it as it is: evomerge's run directory makes the command idempotent. A retry after a
dead driver takes the run's lease over and resumes after the last checkpointed generation; a retry of a finished run
only reports where its report is; a second driver while the first still lives waits for its lease, then fails
naming the holder (so two Airflow attempts never write one run together).
"""
import shlex
from urllib.parse import urlparse


def evolve_command(evomerge_home, config, out, spark_submit=None):
    """The shell command that runs (or resumes, or reports) the evolve run of `config` into `out`."""
    env = f"SPARK_SUBMIT={shlex.quote(spark_submit)} " if spark_submit else ""
    return (f"cd {shlex.quote(evomerge_home)} && {env}scripts/evolve {shlex.quote(config)} --out {shlex.quote(out)}")


def publish_command(run_dir, dest):
    """The shell command that publishes a complete run (its best/ and report.md) to `dest`, and fails when the run is
    not complete (report.md is written last). Local paths are copied with cp; others (s3a://, hdfs://) with hadoop fs."""
    run, target = run_dir.rstrip("/"), dest.rstrip("/")
    remote = bool(urlparse(run).scheme) and urlparse(run).scheme != "file"
    if remote:
        return (f"hadoop fs -test -e {shlex.quote(run + '/report.md')} && hadoop fs -mkdir -p {shlex.quote(target)} && "
                f"hadoop fs -cp -f {shlex.quote(run + '/best')} {shlex.quote(run + '/report.md')} {shlex.quote(target)}")
    return (f"test -f {shlex.quote(run + '/report.md')} && test -f {shlex.quote(run + '/best/_SUCCESS')} && "
            f"mkdir -p {shlex.quote(target)} && rm -rf {shlex.quote(target + '/best')} && "
            f"cp -r {shlex.quote(run + '/best')} {shlex.quote(run + '/report.md')} {shlex.quote(target)}")
