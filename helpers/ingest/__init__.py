"""Stage 1, read: what the communes sent → tidy records and values.

Takes a year's folder under ``data/raw/`` (template workbooks, commune tables in .xlsx/.xls/.csv,
legacy TCVN3/VNI text) and gives a :class:`~helpers.ingest.submissions.Submissions`: one record
per commune row read, its values as typed and parsed, total rows, rejected cells and the
problems met while reading, each with file, sheet, row and column.

No file stops the reading of a year: one that cannot be read (damaged, saved with a password,
over the reader's limits of ``reference/ingest.toml`` [limits], or failing in any other way) gets
one error naming it, and the other files are read. What is not a submission (Excel and LibreOffice
lock files, macOS and Windows system files, ``__MACOSX/``) is skipped and listed as information.
"""
