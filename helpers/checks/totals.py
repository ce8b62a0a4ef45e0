"""Total rows ("Tổng", "Cộng") of commune tables: compared with the sum of their communes."""

from __future__ import annotations

import pandas as pd

from helpers.checks.problems import WARNING, ProblemLog
from helpers.checks.units import DUPLICATE, OK
from helpers.reference import ReportingYear


def check_totals(values: pd.DataFrame, totals: pd.DataFrame, records: pd.DataFrame,
                 ctx: ReportingYear) -> pd.DataFrame:
    """Compare each total row with the sum of the communes of its sheet: the problems (a warning
    for each total that differs)."""
    problems = ProblemLog()
    if totals.empty:
        return problems.frame()
    labels = ctx.ref.fields.set_index("field")["label"]
    used = records[records["unit_status"].isin([OK, DUPLICATE])]
    for (file, sheet), group in totals.groupby(["file", "sheet"], sort=False):
        mine = used[(used["file"] == file) & (used["sheet"] == sheet)]
        cells = values[values["record"].isin(set(mine["record"]))]
        for total in group.itertuples(index=False):
            field_cells = cells[cells["field"] == total.field]
            if field_cells.empty or field_cells["value"].isna().any():
                continue
            summed = int(field_cells["value"].sum())
            if summed != int(total.value):
                problems.add(WARNING, f"Dòng tổng ghi “{labels[total.field]}” là {int(total.value)}, nhưng tổng "
                                      f"{len(field_cells)} phường, xã trong trang là {summed}; phụ lục dùng số của "
                                      "từng phường, xã.", file=file, sheet=sheet, row=int(total.row),
                             column=total.note, value=int(total.value))
    return problems.frame()
