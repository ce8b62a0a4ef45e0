"""Stage 1, read: what the communes sent → tidy records and values.

Takes a year's folder under ``data/raw/`` (template workbooks, commune tables in .xlsx/.xls/.csv,
legacy TCVN3/VNI text) and gives a :class:`~helpers.ingest.submissions.Submissions`: one record
per commune row read, its values as typed and parsed, total rows, rejected cells and the
problems met while reading, each with file, sheet, row and column.
"""
