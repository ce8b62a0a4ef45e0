"""Stage 5, run: every year, one command.

Checks the notebooks' parameters, runs the notebooks per reporting year with papermill
(``python -m helpers.run.batch``), keeps the run record that makes reruns incremental, and
promotes each year's outputs whole into ``output/<year>/``.
"""
