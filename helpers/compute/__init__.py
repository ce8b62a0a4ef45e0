"""Stage 3, compute: clean values → indicators, trends and the projection to the target year.

Takes the clean values of the reporting year and earlier years and the reporting-year context;
gives the tidy indicator table (one row per commune and for the entity, per indicator, with
target and status), the entity's history and the projection. The rules every number follows
(target choice, status, the prerequisite chain of standards) live in :mod:`helpers.compute.rules`.
"""
