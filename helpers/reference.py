"""The reference data, and the context every step takes: :class:`Reference` (everything under
``reference/``, loaded once) and :class:`ReportingYear` (one year seen through it: its target
level and target year, the entity's communes valid that year).

The files live in ``reference/`` as commented CSV (leading ``#`` lines explain the columns) and
TOML files for the reporting entity, the wording and the reader's rules. Everything returned is
NFC-normalised.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from helpers.errors import WorkbookError
from helpers.paths import DEFAULT_ENTITY, REFERENCE_DIR

BOOLEAN_COLUMNS = ("required", "verified", "dbkk", "dbkk_verified")
TEXT_COLUMNS = ("code", "parent_code", "successor_code", "unit_code", "tt", "standard", "requires")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (how every stored Vietnamese string is kept)."""
    return unicodedata.normalize("NFC", text)


def read_reference_csv(path: Path) -> pd.DataFrame:
    """Read a reference CSV, skipping its leading ``#`` comment lines."""
    path = Path(path)
    try:
        lines = nfc(path.read_text(encoding="utf-8")).splitlines(keepends=True)
    except FileNotFoundError as exc:
        raise WorkbookError(f"Không tìm thấy tệp dữ liệu tham chiếu {path}.") from exc
    body = "".join(line for line in lines if not line.startswith("#"))
    frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    for column in frame.columns:
        if column in BOOLEAN_COLUMNS:
            values = frame[column].str.strip().str.lower()
            bad = ~values.isin(["true", "false"])
            if bad.any():
                row = int(bad.idxmax()) + 2
                raise WorkbookError(
                    f"Tệp {path.name}, dòng dữ liệu {row - 1}, cột {column}: "
                    f"giá trị '{frame[column][bad].iloc[0]}' phải là true hoặc false."
                )
            frame[column] = values.eq("true")
    return frame


def _numeric(frame: pd.DataFrame, columns: list[str], integer: bool = False) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        values = pd.to_numeric(frame[column].replace("", None), errors="raise")
        frame[column] = values.astype("Int64") if integer else values.astype("Float64")
    return frame


UNIT_LIST = "units_vietnam.csv"


def load_units(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Every administrative unit of the country from 2021 (``reference/units_vietnam.csv``, generated
    by ``scripts/build_unit_list.py``): code, name, type, level (province, district, commune),
    parent and province codes, validity period, successor code(s) ("+"-separated), whether its
    figures went whole to one successor (``split`` false) and the ĐBKK flag (``reference/dbkk.csv``
    gives the status by period)."""
    units = read_reference_csv(Path(reference_dir) / UNIT_LIST).rename(columns={"successor_codes": "successor_code"})
    for column in ("valid_from", "valid_to"):
        units[column] = pd.to_datetime(units[column].replace("", None), format="%Y-%m-%d")
    units["split"] = units["split"].str.lower().eq("true")
    units["dbkk"] = False
    # "Phường Đúc" is a name that starts with its type: not "Phường Phường Đúc"
    pairs = zip(units["name"], units["type"], strict=True)
    typed = pd.Series([name.lower().startswith(kind.lower() + " ") for name, kind in pairs], index=units.index)
    units["full_name"] = (units["type"].str.capitalize() + " " + units["name"]).where(~typed, units["name"])
    return units


def units_valid_on(units: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The units whose validity period contains ``day``."""
    stamp = pd.Timestamp(day)
    started = units["valid_from"].isna() | (units["valid_from"] <= stamp)
    not_ended = units["valid_to"].isna() | (units["valid_to"] >= stamp)
    return units[started & not_ended].reset_index(drop=True)


def load_fields(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Fields of the commune data-entry template, in template order."""
    return read_reference_csv(Path(reference_dir) / "fields.csv")


def load_groups(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Groups (I-IV, L) of the annex with their labels."""
    return read_reference_csv(Path(reference_dir) / "groups.csv")


def load_indicators(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The indicator catalogue (see the comment lines of ``reference/indicators.csv``)."""
    indicators = read_reference_csv(Path(reference_dir) / "indicators.csv")
    bad = ~indicators["direction"].isin(["higher", "lower"])
    if bad.any():
        raise WorkbookError(f"reference/indicators.csv, chỉ tiêu {indicators.loc[bad, 'id'].iloc[0]}: "
                            "cột direction phải là higher hoặc lower.")
    indicators = _numeric(indicators, ["decimals"], integer=True)
    return _numeric(indicators, ["plausible_min", "plausible_max"])


def load_targets(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Targets by indicator, level, plan and target year."""
    targets = read_reference_csv(Path(reference_dir) / "targets.csv")
    targets = _numeric(targets, ["target_year"], integer=True)
    return _numeric(targets, ["value"])


def load_standards(reference_dir: Path = REFERENCE_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nghị định 20/2014 standards and their commune-level criteria."""
    standards = _numeric(read_reference_csv(Path(reference_dir) / "standards.csv"), ["district_share"])
    criteria = read_reference_csv(Path(reference_dir) / "standard_criteria.csv")
    criteria = _numeric(criteria, ["threshold", "threshold_dbkk"])
    return standards, criteria


LEVELS = ("district", "province", "commune")
ENTITY_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Entity:
    """The reporting entity and the header lines of its annex (``reference/entities/<key>.toml``):
    a district (years up to 2024), a province or centrally-run city, or one commune."""

    code: str
    name: str
    issuing_body: str
    issuing_body_short: str
    place: str
    first_year: int
    last_year: int
    units_noun: str
    title: str
    reports: dict
    level: str = "district"
    key: str = DEFAULT_ENTITY
    province_word: str = "tỉnh"     # how its province's plan is named: "tỉnh", or "thành phố" for Huế

    def attachment_line(self, year: int) -> str:
        """The "(Kèm theo Báo cáo số …)" line, with blanks where the report is not yet numbered."""
        report = self.reports.get(str(year), {})
        number = report.get("number", "")
        day = report.get("day", "")
        month = report.get("month", "")
        line = (
            f"(Kèm theo Báo cáo số {number}, ngày {day} tháng {month} năm {year} "
            f"của {self.issuing_body_short})"
        )
        return " ".join(line.split()).replace(" ,", ",")   # a report not yet numbered: "số, ngày"


def entity_path(reference_dir: Path = REFERENCE_DIR, name: str = DEFAULT_ENTITY) -> Path:
    """The file of entity ``name``: ``reference/entities/<name>.toml``."""
    return Path(reference_dir) / "entities" / f"{name}.toml"


def entity_names(reference_dir: Path = REFERENCE_DIR) -> list[str]:
    """The entities configured under ``reference/entities/``."""
    return sorted(p.stem for p in (Path(reference_dir) / "entities").glob("*.toml"))


def load_entity(reference_dir: Path = REFERENCE_DIR, name: str | None = None) -> Entity:
    """Read ``reference/entities/<name>.toml`` (default: the seed's thị xã); how a level names its
    communes comes from ``[levels.<level>]`` of ``reference/annex.toml`` unless the file says."""
    name = DEFAULT_ENTITY if name is None else str(name)
    path = entity_path(reference_dir, name)
    if not ENTITY_NAME.fullmatch(name) or not path.is_file():
        known = ", ".join(entity_names(reference_dir)) or "không có"
        raise WorkbookError(f"Không có đơn vị báo cáo “{name}” (tệp reference/entities/{name}.toml); "
                            f"các đơn vị đã cấu hình: {known}.")
    data = tomllib.loads(nfc(path.read_text(encoding="utf-8")))
    entity = data["entity"]
    level = str(entity.get("level", "district"))
    if level not in LEVELS:
        raise WorkbookError(f"Tệp reference/entities/{name}.toml: level = “{level}” phải là một trong "
                            f"{', '.join(LEVELS)}.")
    words = load_annex_wording(reference_dir)["levels"][level]
    return Entity(
        code=str(entity["code"]),
        name=entity["name"],
        issuing_body=entity["issuing_body"],
        issuing_body_short=entity["issuing_body_short"],
        place=entity["place"],
        first_year=int(entity["first_year"]),
        last_year=int(entity["last_year"]),
        units_noun=entity.get("units_noun", words["units_noun"]),
        title=data["annex"]["title"],
        reports={str(k): v for k, v in data.get("reports", {}).items()},
        level=level,
        key=name,
        province_word=entity.get("province_word", "tỉnh"),
    )


def load_annex_wording(reference_dir: Path = REFERENCE_DIR) -> dict:
    """Wording of the annex, its charts and draft sentences (``reference/annex.toml``)."""
    return tomllib.loads(nfc((Path(reference_dir) / "annex.toml").read_text(encoding="utf-8")))


def load_ingest_rules(reference_dir: Path = REFERENCE_DIR) -> dict:
    """The reader's thresholds and words (``reference/ingest.toml``)."""
    return tomllib.loads(nfc((Path(reference_dir) / "ingest.toml").read_text(encoding="utf-8")))


def load_field_bounds(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Age groups and parts that cannot exceed another field (``reference/field_bounds.csv``)."""
    return read_reference_csv(Path(reference_dir) / "field_bounds.csv")


def load_field_ratios(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Ratios between two fields kept within a range (``reference/field_ratios.csv``)."""
    return _numeric(read_reference_csv(Path(reference_dir) / "field_ratios.csv"), ["min", "max"])


def load_recognitions(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Recorded official recognitions of standards (``reference/recognitions.csv``)."""
    return _numeric(read_reference_csv(Path(reference_dir) / "recognitions.csv"), ["year"], integer=True)


def load_dbkk_periods(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """ĐBKK status of communes by period (``reference/dbkk.csv``)."""
    periods = read_reference_csv(Path(reference_dir) / "dbkk.csv")
    for column in ("valid_from", "valid_to"):
        periods[column] = pd.to_datetime(periods[column].replace("", None), format="%Y-%m-%d")
    return periods


def load_phases(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The phases of the project and their target years (``reference/phases.csv``)."""
    return _numeric(read_reference_csv(Path(reference_dir) / "phases.csv"),
                    ["first_year", "last_year", "target_year"], integer=True)


def load_standard_levels(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """How a standard is decided at each entity level (``reference/standard_levels.csv``)."""
    return read_reference_csv(Path(reference_dir) / "standard_levels.csv").set_index("level")


def load_target_levels(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Target levels and their fallbacks (``reference/target_levels.csv``)."""
    return read_reference_csv(Path(reference_dir) / "target_levels.csv")


def reporting_date(year: int) -> dt.date:
    """The day a year's units are taken on (the end of the reporting year)."""
    return dt.date(int(year), 12, 31)


def communes_of(entity: Entity, units: pd.DataFrame, year: int) -> pd.DataFrame:
    """The communes (xã, phường, thị trấn) the entity adds up, valid on 31/12 of ``year``: those of
    the district, those of the province (before the 2025 merger, of every province that went into
    it), or the commune itself. Before a commune entity began (the
    2025 reform) it adds up the units that merged whole into it, so its series reach back to 2021;
    when one of them was split among several new units, none (its earlier years are not
    comparable: :func:`predecessors_of`)."""
    day = reporting_date(year)
    valid = units_valid_on(units, day)
    communes = valid[valid["level"] == "commune"] if "level" in valid else valid
    if entity.level == "commune":
        return predecessors_of(entity.code, units, year) if _began_after(entity.code, units, day) \
            else communes[communes["code"] == entity.code].reset_index(drop=True)
    column = {"district": "parent_code", "province": "province_code"}[entity.level]
    if column not in communes:      # a unit table without provinces (the synthetic country)
        column = "parent_code"
    codes = {entity.code}
    if entity.level == "province" and "successor_code" in valid and _began_after(entity.code, units, day):
        # before the 2025 merger of provinces: the communes of every province that went into it
        provinces = valid[valid["level"] == "province"]
        codes |= set(provinces.loc[provinces["successor_code"].str.split("+").apply(lambda s: entity.code in s),
                                   "code"])
    return communes[communes[column].isin(codes)].reset_index(drop=True)


def _began_after(code: str, units: pd.DataFrame, day: dt.date) -> bool:
    """Whether the latest unit with ``code`` began after ``day`` (a code reused by the reform)."""
    rows = units[units["code"] == code]
    latest = rows["valid_from"].max() if len(rows) else pd.NaT
    return pd.notna(latest) and latest > pd.Timestamp(day)


def predecessors_of(code: str, units: pd.DataFrame, year: int) -> pd.DataFrame:
    """The communes valid on 31/12 of ``year`` that went whole into the commune ``code`` (the unit
    that began later under that code), or an empty table when any unit that went into it was
    split among several new units (its figures cannot be added up)."""
    valid = units_valid_on(units, reporting_date(year))
    feeding = valid[valid["successor_code"].str.split("+").apply(lambda codes: code in codes)]
    if feeding["split"].any():
        return feeding.iloc[0:0].reset_index(drop=True)
    return feeding[feeding["level"] == "commune"].reset_index(drop=True)


def relabel_for_level(catalogue: pd.DataFrame, standards: pd.DataFrame, wording: dict,
                      entity: Entity) -> pd.DataFrame:
    """The catalogue as the entity's level reads it: the standard rows worded from
    ``[levels.<level>]`` of ``reference/annex.toml`` ("Tỷ lệ xã, phường đạt chuẩn …" for a province,
    "Phường Hương Trà đạt chuẩn …" for a commune; a district keeps ``indicators.csv``), without
    the rows the level does not report (``hidden``)."""
    words = wording["levels"][entity.level]
    catalogue = catalogue[~catalogue["id"].isin(words.get("hidden", []))].reset_index(drop=True)
    pattern = words.get("standard_label", "")
    if not pattern:
        return catalogue
    names = standards.set_index("standard")["label"]
    subject = entity.name[:1].upper() + entity.name[1:]
    labels = [pattern.format(standard=names[s][:1].lower() + names[s][1:], entity=subject)
              if kind == "standard" else label
              for kind, s, label in zip(catalogue["kind"], catalogue["standard"], catalogue["label"], strict=True)]
    return catalogue.assign(label=labels)


def unit_label(unit) -> str:
    """A unit as messages name it: "Phường Hương Trà (19996)"."""
    return f"{unit['full_name']} ({unit['code']})"


def units_label(units: pd.DataFrame) -> str:
    """Units as messages list them: "Phường Tứ Hạ (19996), Phường Hương Vân (20008)"."""
    return ", ".join(unit_label(u) for _, u in units.iterrows())


def successor_start(unit: pd.Series) -> str:
    """The day the units that took over ``unit`` began, as messages write it ("01/07/2025")."""
    return (unit["valid_to"] + pd.Timedelta(days=1)).strftime("%d/%m/%Y")


@dataclass(frozen=True, eq=False)
class Succession:
    """A unit that ended (a row of the unit list) and the units that took it over."""

    unit: pd.Series
    successors: pd.DataFrame

    @property
    def start(self) -> str:
        """The day the successors began, as written in messages ("01/07/2025")."""
        return successor_start(self.unit)

    @property
    def names(self) -> str:
        """The successors as written in messages: "Phường Hương Trà (19996), …"."""
        return units_label(self.successors)


@dataclass(frozen=True, eq=False)
class Reference:
    """Everything under ``reference/``, loaded once and handed to every step."""

    entity: Entity
    units: pd.DataFrame
    fields: pd.DataFrame
    catalogue: pd.DataFrame        # indicators.csv: what each indicator is and how it is computed
    groups: pd.DataFrame
    targets: pd.DataFrame
    target_levels: pd.DataFrame
    phases: pd.DataFrame
    recognitions: pd.DataFrame
    dbkk_periods: pd.DataFrame
    standards: pd.DataFrame
    criteria: pd.DataFrame
    standard_levels: pd.DataFrame
    bounds: pd.DataFrame
    ratios: pd.DataFrame
    ingest: dict
    wording: dict
    reference_dir: Path = field(default=REFERENCE_DIR)

    @classmethod
    def load(cls, reference_dir: Path = REFERENCE_DIR, entity: str | None = None) -> Reference:
        """Read every reference file of ``reference_dir``, for the entity ``entity``
        (``reference/entities/<entity>.toml``; default: the seed's thị xã)."""
        reference_dir = Path(reference_dir)
        standards, criteria = load_standards(reference_dir)
        chosen, wording = load_entity(reference_dir, entity), load_annex_wording(reference_dir)
        return cls(
            entity=chosen, units=load_units(reference_dir), fields=load_fields(reference_dir),
            catalogue=relabel_for_level(load_indicators(reference_dir), standards, wording, chosen),
            groups=load_groups(reference_dir),
            targets=load_targets(reference_dir),
            target_levels=load_target_levels(reference_dir).assign(
                label=lambda levels: levels["label"].str.replace("{province}", chosen.province_word, regex=False)),
            phases=load_phases(reference_dir), recognitions=load_recognitions(reference_dir),
            dbkk_periods=load_dbkk_periods(reference_dir),
            standards=standards, criteria=criteria, standard_levels=load_standard_levels(reference_dir),
            bounds=load_field_bounds(reference_dir),
            ratios=load_field_ratios(reference_dir),
            ingest=load_ingest_rules(reference_dir), wording=wording,
            reference_dir=reference_dir,
        )

    def for_year(self, year: int, target_level: str = "province") -> ReportingYear:
        """The context of one reporting year."""
        return ReportingYear(self, int(year), str(target_level))

    def communes(self, year: int) -> pd.DataFrame:
        """The entity's communes valid on 31/12 of ``year``, with their ĐBKK status on that day
        (``reference/dbkk.csv`` where it has a period for the commune, else not ĐBKK)."""
        communes = communes_of(self.entity, self.units, year)
        periods = units_valid_on(self.dbkk_periods, reporting_date(year)) if len(self.dbkk_periods) else None
        if periods is not None and len(periods):
            status = periods.drop_duplicates("code", keep="last").set_index("code")["dbkk"]
            communes = communes.assign(dbkk=communes["code"].map(status).fillna(communes["dbkk"]).astype(bool))
        return communes

    def successors_of(self, code: str, year: int) -> Succession | None:
        """When the unit ``code`` had ended before 31/12 of ``year`` (the 2025 reform), that unit
        and the units that took it over, valid on that day; None when it had not ended."""
        day = pd.Timestamp(reporting_date(year))
        units = self.units
        rows = units[(units["code"] == code) & units["valid_to"].notna() & (units["valid_to"] < day)]
        if rows.empty or len(units_valid_on(units[units["code"] == code], day)):
            return None
        old = rows.sort_values("valid_to").iloc[-1]
        if old["successor_code"]:
            wanted = set(str(old["successor_code"]).split("+"))
        else:       # an entity without successor: the successors of its communes
            children = units[(units["parent_code"] == code) & (units["valid_to"] == old["valid_to"])]
            wanted = {s for codes in children["successor_code"] for s in str(codes).split("+") if s}
        after = units_valid_on(units, day)
        return Succession(old, after[after["code"].isin(wanted)].reset_index(drop=True))

    def areas(self, year: int) -> list[str]:
        """The entity's code and those of the units above it on 31/12 of ``year`` (a district's
        province): whose plans' targets apply to it (column ``area_code`` of ``targets.csv``)."""
        day = reporting_date(year)
        if _began_after(self.entity.code, self.units, day):   # a commune entity before the reform: its own parents
            day = self.units.loc[self.units["code"] == self.entity.code, "valid_from"].max().date()
        valid = units_valid_on(self.units, day).drop_duplicates("code").set_index("code")
        codes, code = [], self.entity.code
        while code and code not in codes:
            codes.append(code)
            code = str(valid["parent_code"].get(code, "") or "")
        return codes

    @property
    def standard_rule(self) -> pd.Series:
        """How the entity's level decides a standard (a row of ``standard_levels.csv``)."""
        return self.standard_levels.loc[self.entity.level]

    @cached_property
    def directions(self) -> pd.Series:
        """Each indicator's direction ("higher" or "lower"), by id."""
        return self.catalogue.set_index("id")["direction"]


@dataclass(frozen=True, eq=False)
class ReportingYear:
    """One reporting year seen through the reference data: what every step of that year takes."""

    ref: Reference
    year: int
    target_level: str = "province"
    commune_list: pd.DataFrame | None = field(default=None, repr=False)  # instead of the units valid that year

    @property
    def entity(self) -> Entity:
        return self.ref.entity

    @property
    def target_year(self) -> int:
        """The year whose targets this year is compared with: the end of its phase
        (``reference/phases.csv``; 2021-2025 → 2025, 2026-2030 → 2030)."""
        from helpers.compute.rules import target_year_of

        return target_year_of(self.year, self.ref.phases)

    @cached_property
    def targets(self) -> pd.DataFrame:
        """The target each indicator is compared with this year (indexed by indicator id; see
        :func:`helpers.compute.rules.select_targets`): at the chosen level, from the plans of the
        entity and the units above it, comparable with the entity's level."""
        from helpers.compute.rules import select_targets

        return select_targets(self.ref.targets, self.ref.target_levels, level=self.target_level,
                              target_year=self.target_year, areas=self.ref.areas(self.year),
                              entity_level=self.entity.level)

    @cached_property
    def communes(self) -> pd.DataFrame:
        """The entity's communes valid on 31/12 of the reporting year (or the list given)."""
        return self.ref.communes(self.year) if self.commune_list is None else self.commune_list

    @cached_property
    def years(self) -> list[int]:
        """The reporting years from the entity's first one up to this one."""
        return list(range(self.ref.entity.first_year, self.year + 1))
