"""The learning-society indicator workbook (Đề án 1373): helpers the notebooks import.

Notebooks narrate; this package computes. Each module does one job:

- ``reference``: loads the reference data (units, fields, indicators, targets, standards, entity);
- ``submissions``: reads the communes' data-entry workbooks into a tidy table;
- ``validation``: checks the tidy table and lists problems;
- ``indicators``: computes commune and district indicators and compares them with targets;
- ``annex``: lays out the annex tables and renders them as HTML;
- ``render``: turns an executed notebook into the self-contained HTML annex;
- ``batch``: runs the notebooks for every reporting year (``python -m helpers.batch``).
"""

__version__ = "0.1.0"
