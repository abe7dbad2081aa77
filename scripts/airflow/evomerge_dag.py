"""Airflow DAG: one evolve run, then its publication.

Deploy beside evomerge_commands.py in Airflow's dags folder; set the Airflow Variables evomerge_home (a checkout
with the assembly jar built), evomerge_config, evomerge_out (the run directory, on S3 or HDFS for a cluster),
evomerge_publish (where best/ and report.md go) and evomerge_spark_submit (the spark-submit line, e.g.
"spark-submit --master yarn --properties-file conf/spark-gpu.conf").

Retries are safe: the evolve task's command resumes a run whose driver died, reports a finished run, and waits
for (then refuses) a driver still alive. Airflow's log of a retry shows "taking over the run from driver ..."
then "resuming RUN after generation N", and one line per generation.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator

from evomerge_commands import evolve_command, publish_command

with DAG(
    dag_id="evomerge_evolve",
    start_date=datetime(2026, 1, 1),
    schedule=None,  # triggered per run; give it a schedule to re-run a config
    catchup=False,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=2)},
) as dag:
    evolve = BashOperator(
        task_id="evolve",
        bash_command=evolve_command(Variable.get("evomerge_home"), Variable.get("evomerge_config"),
                                    Variable.get("evomerge_out"), Variable.get("evomerge_spark_submit", default_var=None)),
        execution_timeout=timedelta(hours=48),
    )
    publish = BashOperator(
        task_id="publish",
        bash_command=publish_command(Variable.get("evomerge_out"), Variable.get("evomerge_publish")),
    )
    evolve >> publish
