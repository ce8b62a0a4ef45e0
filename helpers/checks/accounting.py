"""Row accounting: every row read from a file is accepted, rejected, a total row or a heading
row, and the rejects table lists every rejected cell and row with its reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.checks.problems import INFO, ProblemLog
from helpers.checks.units import OK
from helpers.ingest.submissions import ACCEPTED, DATA, HEADING, LAYOUT_LABELS, ROW_REJECTED, TOTAL, Submissions

SUMMARY_COLUMNS = [
    "file", "sha256", "layout", "sheets", "rows_read", "rows_accepted", "rows_rejected", "rows_total",
    "rows_heading", "cells_rejected",
]


def summarise_files(submissions: Submissions, records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One line per file: rows read = accepted + rejected + total rows + heading rows; and one
    information line per file for the quality list.

    A data row is accepted when its unit was accepted (a rejected cell of it is listed in the
    rejects table); rows of a rejected or duplicate unit count as rejected.
    """
    problems = ProblemLog()
    rows = submissions.rows
    manifests = submissions.files
    statuses = [ACCEPTED, ROW_REJECTED, TOTAL, HEADING]
    # one pass over all rows (a filter per file would grow with the square of the file count), in
    # numpy (a pandas groupby by file name and status is much slower at 10,000 files)
    status = pd.Index(statuses).get_indexer(rows["status"])
    status[status < 0] = len(statuses)  # another status: read, not counted
    # a data row of a rejected or duplicate unit is rejected; a row without a record (-1) keeps its status
    unit = pd.Index(records["record"]).get_indexer(rows["record"])
    unit_rejected = np.append(records["unit_status"].fillna(OK).to_numpy(dtype=object) != OK, False)
    of_rejected_unit = np.flatnonzero(unit_rejected[unit])
    data = rows["kind"].iloc[of_rejected_unit].eq(DATA).to_numpy(dtype=bool, na_value=False)
    status[of_rejected_unit[data]] = statuses.index(ROW_REJECTED)
    file_of, file_names = pd.factorize(rows["file"])
    file_of, status = file_of[file_of >= 0], status[file_of >= 0]  # a row without a file name: not counted
    table = np.bincount(file_of * (len(statuses) + 1) + status, minlength=len(file_names) * (len(statuses) + 1))
    table = table.reshape(len(file_names), len(statuses) + 1)
    counts = pd.DataFrame(table[:, :-1], index=file_names, columns=statuses).reindex(manifests["file"], fill_value=0)
    read = pd.Series(table.sum(axis=1), index=file_names).reindex(manifests["file"], fill_value=0)
    cells = submissions.rejects.groupby("file").size().reindex(manifests["file"], fill_value=0)
    summary = pd.DataFrame({
        "file": manifests["file"].to_numpy(), "sha256": manifests["sha256"].to_numpy(),
        "layout": manifests["layout"].to_numpy(), "sheets": manifests["sheets"].to_numpy(),
        # rows read = data rows (communes and totals); titles, column numbers and signatures
        # are counted apart as heading rows, so rows read = accepted + rejected + total rows
        "rows_read": (read - counts[HEADING]).to_numpy(), "rows_accepted": counts[ACCEPTED].to_numpy(),
        "rows_rejected": counts[ROW_REJECTED].to_numpy(), "rows_total": counts[TOTAL].to_numpy(),
        "rows_heading": counts[HEADING].to_numpy(), "cells_rejected": cells.to_numpy(),
    }, columns=SUMMARY_COLUMNS)
    layout_labels = {}  # the wording of each distinct layout ("template", "template, wide" …)
    # plain lists, not itertuples: iterating the text columns of a DataFrame goes cell by cell
    lines = zip(*(summary[c].tolist() for c in ("file", "layout", *SUMMARY_COLUMNS[4:])), strict=True)
    for name, layout, n_read, n_accepted, n_rejected, n_total, n_heading, n_cells in lines:
        if layout not in layout_labels:
            layout_labels[layout] = (", ".join(LAYOUT_LABELS.get(x, x) for x in str(layout).split(", ") if x)
                                     or "không rõ")
        problems.add(INFO, f"Đã đọc {n_read} dòng số liệu ({layout_labels[layout]}): nhận {n_accepted}, "
                           f"loại {n_rejected}, dòng tổng {n_total}; "
                           f"bỏ qua {n_heading} dòng tiêu đề/ghi chú; {n_cells} ô bị loại.",
                     file=name)
    return summary, problems.frame()


def rejected_rows(submissions: Submissions, records: pd.DataFrame) -> pd.DataFrame:
    """The rejects table: every rejected cell, plus the rows of units that were rejected as a whole."""
    extra = []
    bad = records[records["unit_status"] != OK]
    for record in bad.itertuples(index=False):
        extra.append({"file": record.file, "sheet": record.sheet, "row": record.row, "column": "Đơn vị",
                      "field": "", "value": record.unit_name or record.unit_code, "reason": record.reason})
    table = pd.concat([submissions.rejects, pd.DataFrame(extra, columns=submissions.rejects.columns)],
                      ignore_index=True)
    return table.astype({"row": "Int64", "value": "string"})
