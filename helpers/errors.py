"""The error an analyst sees: one Vietnamese sentence, no traceback."""

from __future__ import annotations


class WorkbookError(Exception):
    """A problem the analyst must fix (bad parameter, missing file, invalid submission).

    The message is a complete Vietnamese sentence naming the file, sheet, row and field where
    they are known. IPython (JupyterLab, papermill) shows only the message, not a traceback.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"Lỗi: {line}" if i == 0 else line for i, line in enumerate(str(self).splitlines())]
