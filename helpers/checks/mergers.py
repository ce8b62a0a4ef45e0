"""Forms of a year after the 2025 reform sent by the units that ended (issue 13, point 3).

From 1/7/2025 a year's figures are those of the new phường, xã. Some still arrive from the old
units, keyed to their old code and name. What such a form means, decided here and applied by
:func:`helpers.checks.units.resolve_unit_codes` (records) and :func:`add_up_predecessors` (values):

- **Which unit a form is.** A code of a unit that had ended by 31/12 of the year is the old unit.
  A code the reform gave again to a new unit (19996: Phường Tứ Hạ until 30/6/2025, Phường Hương
  Trà from 1/7/2025) is decided by the name written beside it, resolved as
  :class:`helpers.ingest.unit_names.UnitNames` resolves names (case, accents and the "phường, xã"
  prefix ignored; a fuzzy match only when clearly better): the old unit's name → the old unit; the
  new unit's name, or neither (a name-mismatch warning, as before), or no name → the new unit,
  the code decides. A code both units kept with the same name cannot be told apart: it is the new
  unit's.
- **A whole merger sent by all its old units.** When every unit that went into a new unit at the
  reform sent its form, none of them was divided, and the new unit did not send its own, the old
  forms are accepted as the new unit's: each record keeps its file and row, is accepted with the
  reason "Đã cộng vào <new unit>", and carries the new unit's code (``former_code`` keeps the old
  one; so do the rejected forms of the cases below, so that the new unit's feedback sheet lists
  them). Each form is checked on its own (required fields, parts above their whole, ratios: the
  place named is the old form's cell); then the values are added up field by field onto the new
  unit: a field missing (blank, rejected or absent) in any old form is missing for the new unit,
  with a warning naming the field and the old unit without it. A summed value's place is the old
  forms' files joined by " + ", their sheet and the first of their rows. One **warning** says that the year's
  figures of the new unit are the sum of its old units' forms: the figures are used, so it is no
  error; but it is not information either, because (a) the new unit is the one to send the year's
  form (the feedback sheets, which show errors and warnings, tell it so), and (b) the counts of
  the commune's own institutions (``reference/ingest.toml`` [mergers] ``institution_fields``: its
  community learning centre, its offices) are often merged with the communes, so their sum may
  overstate the new unit's: the analyst confirms them.
- **Some old units missing, or the new unit's own form there too.** Nothing of the old units is
  added up: each old form is rejected with an **error** naming the old units received and those
  missing, or the file of the new unit's own form (which is used). A single old form whose fellow
  units sent nothing is this case (the error names its successor, as it always did).
- **An old unit divided among several new units** (``split`` in ``reference/units_vietnam.csv``)
  cannot be added up: its form is an error saying among which units it was divided and that those
  units send the figures; so are the forms of the other old units of a new unit that received part
  of a divided one (``merged_whole`` false).
- **An old unit whose new unit is not the entity's** (a province's folder read by one phường) is
  set aside like any commune of another entity, one note per file naming the new unit.
- **A new unit that kept the code and name of one of its old units** (Phường Thuận An 19900 took
  in Xã Phú Thuận and Xã Phú Hải) is accepted as the new unit, the code decides; but a row of it
  among rows of old units (an old district's table copied into the year's folder) may be the old
  unit's figures alone, which no later check can tell (last year's figure is under the same code).
  When the new unit had more than one old unit and the same sheet of a table (for a template form,
  one unit per sheet: the same file) also holds records of units that had ended, a **warning** on
  that record names the old units it also took in and asks for the new unit's form covering them
  all; the figures are used. A lone form with nothing of the old units beside it gets no warning:
  neither its heading nor its year cell (the reader rejects a form of another year) tells it apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.checks.problems import ERROR, WARNING, ProblemLog
from helpers.ingest.unit_names import UnitNames
from helpers.reference import ReportingYear, reporting_date, successor_start, unit_label, units_label, units_valid_on
from helpers.text import fold

CODE_COLUMN = "Mã đơn vị"


class Reform:
    """The units of the country on 31/12 of the year and the communes that had ended before it."""

    def __init__(self, ctx: ReportingYear):
        units, self.year = ctx.ref.units, ctx.year
        day = pd.Timestamp(reporting_date(ctx.year))
        communes = units[units["level"] == "commune"] if "level" in units else units
        valid = units_valid_on(communes, day)
        self.current = valid.drop_duplicates("code", keep="last").set_index("code", drop=False)
        ended = communes[communes["valid_to"].notna() & (communes["valid_to"] < day)]
        self.ended = ended.sort_values("valid_to", kind="stable")
        self._latest = self.ended.drop_duplicates("code", keep="last").set_index("code", drop=False)
        self.rules = ctx.ref.ingest
        self._names: dict[tuple[str, str], bool] = {}
        self._feeding: dict[str, list[int]] | None = None   # new unit → the lines of self.ended that went into it
        self._namesakes: dict[str, tuple[pd.Series, pd.DataFrame] | None] = {}

    def former_unit(self, code: str, written: str, method: str) -> pd.Series | None:
        """The old unit a record keyed ``code`` was sent for, or None when it is a unit of the year."""
        if code not in self._latest.index:
            return None
        old = self._latest.loc[code]
        if code not in self.current.index:
            return old
        # the code was given again to a new unit: the written name decides
        if method != "code" or not written:
            return None
        key = (code, written)
        if key not in self._names:
            self._names[key] = self._names_former(old, self.current.loc[code], written)
        return old if self._names[key] else None

    def written_as(self, unit: pd.Series, written: str) -> bool:
        """Whether ``written`` names ``unit`` ("P. Tứ Hạ", "tu ha": as names are resolved)."""
        if written in (unit["name"], unit["full_name"]):
            return True
        one = pd.DataFrame([unit])[["code", "name", "type", "full_name"]].reset_index(drop=True)
        return UnitNames(one, self.rules).resolve(written).resolved

    def _names_former(self, old: pd.Series, new: pd.Series, written: str) -> bool:
        if written in (new["name"], new["full_name"]) or fold(old["name"]) == fold(new["name"]):
            return False
        if written in (old["name"], old["full_name"]):
            return True
        both = pd.DataFrame([old, new])[["code", "name", "type", "full_name"]].reset_index(drop=True)
        both["code"] = ["old", "new"]
        match = UnitNames(both, self.rules).resolve(written)
        return match.resolved and match.code == "old"

    def ended_unit(self, code: str) -> pd.Series:
        """The last unit with ``code`` that had ended before 31/12 of the year."""
        return self._latest.loc[code]

    def successors(self, old: pd.Series) -> pd.DataFrame:
        """The units of the year that took over ``old``."""
        codes = [c for c in str(old["successor_code"] or "").split("+") if c]
        return self.current[self.current["code"].isin(codes)].reset_index(drop=True)

    def predecessors(self, code: str) -> pd.DataFrame:
        """The old communes that went, whole or in part, into the unit ``code`` of the year when it began."""
        if self._feeding is None:
            self._feeding = {}
            successors = self.ended["successor_code"].fillna("").astype(str) if "successor_code" in self.ended \
                else pd.Series("", index=self.ended.index)
            for line, codes in enumerate(successors.tolist()):
                for successor in codes.split("+"):
                    if successor:
                        self._feeding.setdefault(successor, []).append(line)
        feeding = self.ended.iloc[self._feeding.get(code, [])]
        new = self.current.loc[code]
        if pd.notna(new["valid_from"]):
            feeding = feeding[feeding["valid_to"] == new["valid_from"] - pd.Timedelta(days=1)]
        return feeding.drop_duplicates("code", keep="last").reset_index(drop=True)

    def namesake(self, code: str) -> tuple[pd.Series, pd.DataFrame] | None:
        """The old unit with the code and name of the unit ``code`` of the year, and the other old
        units that went into it; None unless it has such an old unit and at least one other."""
        if code not in self._namesakes:
            found = None
            if code in self.current.index:
                predecessors = self.predecessors(code)
                same = (predecessors["code"] == code) & (predecessors["name"].map(fold)
                                                         == fold(self.current.loc[code, "name"]))
                if same.any() and len(predecessors) > 1:
                    found = (predecessors[same].iloc[0], predecessors[~same].reset_index(drop=True))
            self._namesakes[code] = found
        return self._namesakes[code]

    def added_up_whole(self, code: str, predecessors: pd.DataFrame) -> bool:
        """Whether the unit ``code`` was formed of whole old units only (its figures add up)."""
        whole = str(self.current.loc[code].get("merged_whole", "") or "").strip().lower()
        return whole != "false" and not (predecessors["split"].any() if "split" in predecessors else False)


@dataclass
class FormerRecord:
    """A record sent for an old unit that went whole into a unit of the entity."""

    index: int            # its line in the records table
    unit: pd.Series       # the old unit
    place: dict           # file, sheet, row of the problem
    code: str             # the code as typed


def settle_former_records(pending: list[FormerRecord], own: dict[str, list[str]], reform: Reform,
                          communes: pd.DataFrame, problems: ProblemLog,
                          institution_labels: list[str]) -> dict[int, tuple[bool, str]]:
    """Decide the records of old units, successor by successor: ``{line: (accepted, reason)}``.

    ``own`` lists, by unit code of the year, the places of the forms that unit sent itself.
    Accepted records are added up onto their successor; the others are rejected with an error.
    """
    year = reform.year
    decided: dict[int, tuple[bool, str]] = {}
    by_successor: dict[str, list[FormerRecord]] = {}
    for record in pending:
        successor = str(record.unit["successor_code"]).split("+")[0]
        by_successor.setdefault(successor, []).append(record)
    full_names = dict(zip(communes["code"].tolist(), communes["full_name"].tolist(), strict=True))
    for successor, records in by_successor.items():
        new = f"{full_names[successor]} ({successor})"
        predecessors = reform.predecessors(successor)
        received_codes = {r.unit["code"] for r in records}
        received = predecessors[predecessors["code"].isin(received_codes)]
        missing = predecessors[~predecessors["code"].isin(received_codes)]
        start = successor_start(records[0].unit)
        if not reform.added_up_whole(successor, predecessors):
            divided = predecessors[predecessors["split"]] if "split" in predecessors else predecessors.iloc[0:0]
            why = (f"{new} còn nhận một phần của {units_label(divided)} (đơn vị cũ đã được chia cho nhiều đơn vị mới)"
                   if len(divided) else f"{new} còn nhận một phần của đơn vị cũ đã được chia")
            detail = (f"{why}, nên số liệu năm {year} của {full_names[successor]} không cộng được từ biểu của các "
                      f"đơn vị cũ: phải do {full_names[successor]} gửi.")
        elif successor in own:
            detail = (f"{full_names[successor]} đã gửi biểu của mình ({'; '.join(own[successor])}), nên biểu của "
                      f"các đơn vị cũ không được cộng (đã nhận biểu của {units_label(received)}). Hãy giữ một bộ số "
                      f"liệu: bỏ biểu của các đơn vị cũ, hoặc bỏ biểu đó nếu số liệu của các đơn vị cũ mới đúng.")
            namesake = predecessors[(predecessors["code"] == successor)
                                    & (predecessors["name"].map(fold) == fold(reform.current.loc[successor, "name"]))]
            if len(namesake):   # the old unit of the same code and name: its form looks like the new unit's
                detail += (f" Nếu tệp đó là biểu của {unit_label(namesake.iloc[0])} trước {start} (cùng mã, cùng "
                           f"tên với đơn vị mới) thì số liệu năm {year} phải do {full_names[successor]} gửi một biểu "
                           "chung cho cả các đơn vị cũ.")
        elif len(missing):
            detail = (f"Chỉ cộng biểu của các đơn vị cũ vào {full_names[successor]} khi có đủ cả {len(predecessors)} "
                      f"đơn vị đã nhập vào: đã nhận {units_label(received)}; còn thiếu {units_label(missing)}. "
                      f"Biểu này chưa được tính: hãy gửi biểu của {full_names[successor]} (mã, tên của đơn vị mới), "
                      f"hoặc bổ sung biểu của đơn vị còn thiếu.")
        else:
            detail = ""
        if detail:
            for r in records:
                reason = (f"{r.unit['full_name']} (mã {r.unit['code']}) đã nhập vào {new} từ {start}: số liệu năm "
                          f"{year} phải ghi theo đơn vị mới (mã, tên của đơn vị kế thừa). {detail}")
                problems.add(ERROR, reason, **r.place, column=CODE_COLUMN, value=r.code)
                decided[r.index] = (False, reason)
            continue
        for r in records:
            fellows = predecessors[predecessors["code"] != r.unit["code"]]
            decided[r.index] = (True, f"Đã cộng vào {new}" + (f" cùng {units_label(fellows)}" if len(fellows) else "")
                                + f" (các đơn vị cũ đã nhập vào {full_names[successor]} từ {start}).")
        what = "tổng của" if len(predecessors) > 1 else "số liệu của"
        files = sorted({r.place["file"] for r in records})
        message = (f"Số liệu năm {year} của {new} là {what} {units_label(predecessors)} do các đơn vị cũ gửi "
                   f"({', '.join(files)}), cộng từng trường; từ nay {full_names[successor]} gửi một "
                   f"biểu theo mã, tên của mình.")
        if institution_labels and len(predecessors) > 1:
            message += (" " + ", ".join(f"“{label}”" for label in institution_labels) + " là tổng của các đơn vị "
                        "cũ: hãy kiểm tra lại nếu sau khi hợp nhất các cơ sở này đã được gộp lại.")
        problems.add(WARNING, message, column=CODE_COLUMN, value=successor)
    return decided


@dataclass
class AcceptedRecord:
    """A record accepted as a unit of the year, as :func:`warn_namesakes` needs it."""

    code: str             # the unit of the year
    file: str
    sheet: str
    template: bool        # a template form (one unit per sheet) rather than a row of a table
    place: dict           # file, sheet, row of the problem
    column: str           # where the unit was written: its code, or its name when no code was
    value: str            # as typed


def _ended_on(units: list[pd.Series]) -> str:
    days = sorted({u["valid_to"] for u in units})
    if len(days) == 1:
        return f"ngày {days[0]:%d/%m/%Y}"
    return f"từ ngày {days[0]:%d/%m/%Y} đến ngày {days[-1]:%d/%m/%Y}"


def warn_namesakes(accepted: list[AcceptedRecord], old_units: list[tuple[str, str, pd.Series]],
                   reform: Reform, problems: ProblemLog, shown: int = 3) -> None:
    """A warning on each record accepted as a new unit that kept the code and name of one of its
    several old units, when the records of its sheet (of its file, for a template form) include
    old units: it may be the old unit's figures (the module's docstring).

    ``old_units`` are the (file, sheet, old unit) of the records recognised as units that had ended
    (added up, rejected or set aside alike).
    """
    if not old_units:
        return
    by_sheet: dict[tuple[str, str], dict[tuple, pd.Series]] = {}
    by_file: dict[str, dict[tuple, pd.Series]] = {}
    for file, sheet, unit in old_units:
        key = (unit["code"], unit["valid_to"])
        by_sheet.setdefault((file, sheet), {})[key] = unit
        by_file.setdefault(file, {})[key] = unit
    for record in accepted:
        beside = by_file.get(record.file) if record.template else by_sheet.get((record.file, record.sheet))
        if not beside:
            continue
        found = reform.namesake(record.code)
        if found is None:
            continue
        old, others = found
        new = reform.current.loc[record.code]
        olds = [u for u in beside.values() if not (u["code"] == old["code"] and u["valid_to"] == old["valid_to"])]
        if not olds:
            continue
        listed = ", ".join(unit_label(u) for u in olds[:shown])
        if len(olds) > shown:
            listed += f" và {len(olds) - shown} đơn vị khác"
        where = "tệp có biểu của" if record.template else "trang có các dòng của"
        start, year = successor_start(old), reform.year
        message = (f"{unit_label(new)} cùng mã, cùng tên với {unit_label(old)} trước {start}, và nằm trong {where} "
                   f"{len(olds)} đơn vị đã kết thúc {_ended_on(olds)} ({listed}): số liệu này có "
                   f"thể là của {old['full_name']} cũ. {new['full_name']} mới còn gồm cả {units_label(others)}. Số "
                   f"liệu vẫn được dùng cho {unit_label(new)} năm {year}; nếu đây là số liệu của "
                   f"{old['full_name']} cũ, hãy gửi biểu của {new['full_name']} mới, gộp số liệu của cả "
                   f"{old['full_name']} cũ, {units_label(others)}.")
        problems.add(WARNING, message, **record.place, column=record.column, value=record.value)


def add_up_predecessors(clean: pd.DataFrame, read: pd.DataFrame, records: pd.DataFrame,
                        ctx: ReportingYear) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clean values with the old units' forms of a whole merger added up onto their new unit.

    ``clean`` are the checked values (:func:`helpers.checks.values.validate_values`), ``read`` the
    values as read (they say which record each cell is of), ``records`` the records with their
    ``unit_status`` and ``former_code``. Each field of the new unit is the sum of its old units'
    values; missing (blank) when any old form lacks it, with one warning naming the fields and the
    old units without them. The summed value keeps the old forms' files (joined by " + "), their
    sheet and the first of their rows. Returns the values and the problems.
    """
    problems = ProblemLog()
    if "former_code" not in records.columns:
        return clean, problems.frame()
    merged = records[(records["unit_status"] == "ok") & records["former_code"].fillna("").ne("")]
    if merged.empty:
        return clean, problems.frame()
    reform, labels = Reform(ctx), ctx.ref.fields.set_index("field")["label"]
    old_of = {int(r): (str(s), reform.ended_unit(str(c)))
              for r, s, c in zip(merged["record"], merged["unit_code"], merged["former_code"], strict=True)}
    members: dict[str, list[int]] = {}
    for record, (successor, _) in old_of.items():
        members.setdefault(successor, []).append(record)
    out = clean.reset_index(drop=True)
    cells = read[["file", "sheet", "row", "field", "record"]].drop_duplicates(["file", "sheet", "row", "field"])
    record_of = out[["file", "sheet", "row", "field"]].merge(cells, how="left")["record"].tolist()
    fields, values = out["field"].tolist(), out["value"].tolist()
    files, sheets, rows, notes = (out[c].tolist() for c in ("file", "sheet", "row", "note"))
    lines: dict[tuple[str, str], list[int]] = {}    # (new unit, field) → its old units' lines, in order
    for i, record in enumerate(record_of):
        if pd.notna(record) and int(record) in old_of:
            lines.setdefault((old_of[int(record)][0], fields[i]), []).append(i)
    summed: dict[int, dict] = {}          # the first line of a (new unit, field) → the summed value
    dropped: list[int] = []
    gaps: dict[str, list[str]] = {}
    for (successor, field_id), at in lines.items():
        given = {int(record_of[i]): values[i] for i in at if pd.notna(values[i])}
        lacking = [old_of[r][1] for r in members[successor] if r not in given]
        summed[at[0]] = {
            "unit_code": successor, "value": pd.NA if lacking else sum(int(v) for v in given.values()),
            "file": " + ".join(dict.fromkeys(str(files[i]) for i in at)),
            "sheet": " + ".join(dict.fromkeys(str(sheets[i]) for i in at)),
            "row": min(int(rows[i]) for i in at),
            "note": "; ".join(f"{old_of[int(record_of[i])][1]['full_name']}: {notes[i]}" for i in at
                              if isinstance(notes[i], str) and notes[i].strip()),
        }
        dropped += at[1:]
        if lacking:
            gaps.setdefault(successor, []).append(
                f"“{labels.get(field_id, field_id)}” (thiếu ở {', '.join(o['full_name'] for o in lacking)})")
    names = dict(zip(ctx.communes["code"].tolist(), ctx.communes["full_name"].tolist(), strict=True))
    for successor, listed in gaps.items():
        problems.add(WARNING, f"Số liệu năm {ctx.year} của {names[successor]} ({successor}) để trống "
                              f"{len(listed)} trường vì không đủ số liệu của các đơn vị cũ: {'; '.join(listed)}.",
                     column=CODE_COLUMN, value=successor)
    out = out.copy()
    for line, value in summed.items():
        for column, cell in value.items():
            out.at[line, column] = cell
    out = out.drop(index=dropped).reset_index(drop=True)
    return out.astype(clean.dtypes.to_dict()), problems.frame()
