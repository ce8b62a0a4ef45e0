"""Stage 2, check: the records read → the clean values of a year and the problems found.

Takes the :mod:`helpers.ingest` records and the reference data; gives the accepted values
(keyed by GSO code), the per-file row accounting, the rejected rows, and the problems as a
table (severity, file, sheet, row, column, value as typed, Vietnamese message).
"""
