"""The learning-society indicator workbook (Đề án 1373): the package the notebooks import.

Notebooks narrate; this package computes. The subpackages are the stages of the flow, in order:

    data/raw/<year>/ ──ingest──▶ records ──checks──▶ data/processed/<year>/values.csv
        ──compute──▶ indicators, history, projection ──publish──▶ output/<year>/annex_<year>.*

- ``ingest``: reads the communes' workbooks into tidy records and values;
- ``checks``: checks them and returns the clean values and the problems found;
- ``compute``: indicators, trends and projection; the rules they follow (``compute.rules``);
- ``publish``: the annex table, its HTML/Excel/PDF, charts, draft sentences, data-entry forms;
- ``run``: parameters, the batch over every year (``python -m helpers.run.batch``), the run record.

Shared by every stage: ``reference`` (the reference data and the reporting-year context),
``processed`` (the processed tables: what each step writes and the next reads), ``storage``
(atomic writes), ``paths``, ``errors``, ``numbers``, ``text``. ``samples`` generates the bundled
sample data and the benchmark's synthetic country; nothing at run time imports it.
"""

__version__ = "0.1.0"
