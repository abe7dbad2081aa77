"""Tests of the DAG's commands, run here without Airflow: python3 scripts/airflow/test_evomerge_commands.py
(CI runs it after the default run has built the project). The DAG file must compile; the evolve command must run a
small local evolve job to completion; a retry of it after the driver is killed must resume; a retry after the run
finished must only report; the publish command must copy best/ and the report, and refuse an unfinished run."""
import os
import py_compile
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HOME = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from evomerge_commands import evolve_command, publish_command  # noqa: E402

CONFIG = """run_id: airflow-small
merge:
  method: task_arithmetic
  base_model: {home}/models/stories260K
  models: [{home}/models/stories260K-math, {home}/models/stories260K-ja]
genome: {{layer_granularity: 1}}
optimizer: {{population: 4, generations: 3, seed: 3}}
fitness:
  shards: 2
  tasks:
    - {{name: en, task: likelihood, data: {home}/data/mgsm/mgsm_en.tsv, split: "range:0:6"}}
    - {{name: ja, task: likelihood, data: {home}/data/mgsm/mgsm_ja.tsv, split: "range:0:6"}}
spark:
  master: "local[2,3]"
"""


class EvomergeCommandsTest(unittest.TestCase):
    def test_the_dag_file_compiles(self):
        py_compile.compile(os.path.join(HERE, "evomerge_dag.py"), doraise=True)

    def test_evolve_runs_resumes_after_a_killed_driver_and_publishes(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "small.yaml")
            with open(config, "w") as f:
                f.write(CONFIG.format(home=HOME))
            out, dest = os.path.join(tmp, "run"), os.path.join(tmp, "published")
            command = evolve_command(HOME, config, out)
            self.assertNotEqual(0, subprocess.run(publish_command(out, dest), shell=True).returncode, "nothing to publish yet")
            # first attempt: the driver dies (SIGKILL, as a lost Airflow worker) once generation 1 is checkpointed
            first = subprocess.Popen(command, shell=True, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            checkpoint = os.path.join(out, "checkpoint", "generation-00001.json")
            deadline = time.time() + 300
            while not os.path.exists(checkpoint) and time.time() < deadline and first.poll() is None:
                time.sleep(0.2)
            self.assertTrue(os.path.exists(checkpoint), "generation 1 was checkpointed")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            self.assertFalse(os.path.exists(os.path.join(out, "report.md")))
            # the retry: the same command resumes and completes
            retry = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=600)
            self.assertEqual(0, retry.returncode, retry.stdout + retry.stderr)
            self.assertIn("resuming airflow-small after generation", retry.stdout)
            self.assertTrue(os.path.exists(os.path.join(out, "report.md")))
            # a retry of a finished run only reports
            again = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=600)
            self.assertEqual(0, again.returncode)
            self.assertIn("run airflow-small is complete", again.stdout)
            # publish
            self.assertEqual(0, subprocess.run(publish_command(out, dest), shell=True).returncode)
            self.assertTrue(os.path.exists(os.path.join(dest, "report.md")))
            self.assertTrue(os.path.exists(os.path.join(dest, "best", "model.safetensors")))

    def test_remote_runs_are_published_with_hadoop_fs(self):
        c = publish_command("s3a://bucket/runs/x/", "s3a://bucket/published/x")
        self.assertTrue(c.startswith("hadoop fs -test -e s3a://bucket/runs/x/report.md && "), c)
        self.assertIn("hadoop fs -cp -f s3a://bucket/runs/x/best s3a://bucket/runs/x/report.md s3a://bucket/published/x", c)


if __name__ == "__main__":
    unittest.main(verbosity=2)
