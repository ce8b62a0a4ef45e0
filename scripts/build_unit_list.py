#!/usr/bin/env python3
"""Build reference/units_vietnam.csv, the national list of administrative units with history.

Build-time tool, not part of the workbook: it reads the data files shipped inside the MIT-licensed
``vietnamadminunits`` package (PyPI), which must NOT be installed into the project environment
(it pulls in shapely, geopy, unidecode and tqdm). Use a throw-away virtual environment:

    python3.11 -m venv /tmp/vau
    /tmp/vau/bin/pip install vietnamadminunits==1.0.4
    /tmp/vau/bin/python scripts/build_unit_list.py            # (re)write the CSV
    /tmp/vau/bin/python scripts/build_unit_list.py --check    # exit 1 if the CSV is not what it would write

Sources inside the package (located with importlib.resources):
  data/dataset.db           SQLite; table admin_units (units from 1/7/2025) and admin_units_legacy
                            (units just before 1/7/2025, with their district)
  data/converter_2025.json  old unit -> new unit(s): DICT_PROVINCE (province merges),
                            DICT_PROVINCE_WARD_NO_DIVIDED (new commune <- whole old units),
                            DICT_PROVINCE_WARD_DIVIDED (old commune split among several new communes)

Output is deterministic: same package version, same bytes. The generation date in the header is kept
from the existing file when nothing else changed, so a rerun does not rewrite the file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import importlib.metadata
import importlib.resources
import io
import json
import re
import sqlite3
import sys
import unicodedata
from pathlib import Path

PACKAGE = "vietnamadminunits"
PINNED_VERSION = "1.0.4"
PACKAGE_URL = "https://pypi.org/project/vietnamadminunits/ (https://github.com/tranngocminhhieu/vietnamadminunits)"
OUTPUT = Path(__file__).resolve().parent.parent / "reference" / "units_vietnam.csv"

LEGACY_END = "2025-06-30"
REFORM_START = "2025-07-01"

COLUMNS = ["code", "name", "type", "level", "parent_code", "province_code", "valid_from", "valid_to",
           "successor_codes", "split", "merged_whole", "source"]
LEVEL_RANK = {"province": 0, "district": 1, "commune": 2}
# Longest first, so "thành phố" is tried before a shorter word could match.
TYPES = ["thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "huyện", "quận", "tỉnh", "xã"]

# Facts the package does not carry. The package gives code 46 the name "Thành phố Huế" for the whole
# pre-reform period; Thừa Thiên Huế became thành phố Huế (trực thuộc trung ương, same code) on 1/1/2025
# (Nghị quyết 1314/NQ-UBTVQH15; domain brief §4; reference/units.csv).
HUE_CODE = "46"
HUE_RENAMED_ON = "2025-01-01"
MANUAL_ROWS = [
    {"code": HUE_CODE, "name": "Thừa Thiên Huế", "type": "tỉnh", "level": "province", "parent_code": "",
     "province_code": HUE_CODE, "valid_from": "", "valid_to": "2024-12-31", "successor_codes": HUE_CODE,
     "split": "false", "merged_whole": "", "source": "manual"},
]

DATE_LINE = re.compile(r"^# Generated on (\d{4}-\d{2}-\d{2}) ", re.M)


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


def split_name(full_name: str) -> tuple[str, str]:
    """'Phường Tứ Hạ' -> ('phường', 'Tứ Hạ'); 'Thành Phố Bắc Kạn' -> ('thành phố', 'Bắc Kạn')."""
    full_name = nfc(full_name)
    for kind in TYPES:
        if full_name.lower().startswith(kind + " "):
            return kind, full_name[len(kind) + 1:].strip()
    raise SystemExit(f"Không tách được loại đơn vị khỏi tên '{full_name}'.")


def package_files():
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"Chưa cài {PACKAGE}: pip install {PACKAGE}=={PINNED_VERSION} (trong venv riêng).") from None
    data = importlib.resources.files(PACKAGE) / "data"
    return version, data / "dataset.db", data / "converter_2025.json"


def licence_of(version: str) -> str:
    meta = importlib.metadata.metadata(PACKAGE)
    found = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return ", ".join(found) or (meta.get("License") or "unknown")


def build_rows(db_path, converter_path) -> tuple[list[dict], list[str]]:
    """All rows of the list, plus notes on the package's own inconsistencies."""
    with importlib.resources.as_file(db_path) as path:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        legacy = con.execute(
            "SELECT provinceCode, province, provinceKey, districtCode, district, districtType, districtKey,"
            " wardCode, ward, wardType, wardKey FROM admin_units_legacy").fetchall()
        current = con.execute(
            "SELECT provinceCode, province, provinceKey, wardCode, ward, wardType, wardKey FROM admin_units").fetchall()
        con.close()
    converter = json.loads(converter_path.read_text(encoding="utf-8"))
    notes: list[str] = []

    def typed(full_name: str, package_type: str | None, code: str) -> tuple[str, str]:
        kind, name = split_name(full_name)
        if package_type and nfc(package_type).lower() != kind:
            notes.append(f"{code} '{nfc(full_name)}': package type '{nfc(package_type).lower()}', name says '{kind}'"
                         " -> type taken from the name")
        return kind, name

    # --- post-reform units --------------------------------------------------------------------------
    new_province_code: dict[str, str] = {}            # provinceKey -> code
    new_commune_code: dict[tuple[str, str], str] = {}  # (provinceKey, wardKey) -> code
    new_provinces: dict[str, dict] = {}
    new_communes: dict[str, dict] = {}
    for p_code, p_name, p_key, w_code, w_name, w_type, w_key in current:
        new_province_code[p_key] = p_code
        new_commune_code[(p_key, w_key)] = w_code
        if p_code not in new_provinces:
            kind, name = typed(p_name, None, p_code)
            new_provinces[p_code] = {"code": p_code, "name": name, "type": kind, "level": "province",
                                     "parent_code": "", "province_code": p_code}
        kind, name = typed(w_name, w_type, w_code)
        if w_code in new_communes:
            raise SystemExit(f"Mã xã {w_code} lặp trong admin_units.")
        new_communes[w_code] = {"code": w_code, "name": name, "type": kind, "level": "commune",
                                "parent_code": p_code, "province_code": p_code}

    # --- pre-reform units ---------------------------------------------------------------------------
    old_provinces: dict[str, dict] = {}
    old_districts: dict[str, dict] = {}
    old_communes: dict[str, dict] = {}
    old_by_key: dict[str, dict] = {}        # converter key "province_district_ward" -> row
    old_province_by_key: dict[str, dict] = {}
    for p_code, p_name, p_key, d_code, d_name, d_type, d_key, w_code, w_name, w_type, w_key in legacy:
        if p_code not in old_provinces:
            kind, name = typed(p_name, None, p_code)
            old_provinces[p_code] = {"code": p_code, "name": name, "type": kind, "level": "province",
                                     "parent_code": "", "province_code": p_code}
            old_province_by_key[p_key] = old_provinces[p_code]
        if d_code not in old_districts:
            kind, name = typed(d_name, d_type, d_code)
            old_districts[d_code] = {"code": d_code, "name": name, "type": kind, "level": "district",
                                     "parent_code": p_code, "province_code": p_code}
        key = f"{p_key}_{d_key}_{w_key or ''}"
        if not w_code:                       # a district without communes (island districts)
            old_by_key[key] = old_districts[d_code]
            continue
        if w_code in old_communes:
            raise SystemExit(f"Mã xã {w_code} lặp trong admin_units_legacy.")
        kind, name = typed(w_name, w_type, w_code)
        old_communes[w_code] = {"code": w_code, "name": name, "type": kind, "level": "commune",
                                "parent_code": d_code, "province_code": p_code}
        old_by_key[key] = old_communes[w_code]

    # --- successors ---------------------------------------------------------------------------------
    successors: dict[int, set[str]] = {}   # id(old row) -> new codes
    divided: set[int] = set()
    for new_p_key, old_p_keys in converter["DICT_PROVINCE"].items():
        for old_p_key in old_p_keys:
            successors.setdefault(id(old_province_by_key[old_p_key]), set()).add(new_province_code[new_p_key])
    for new_p_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_w_key, old_keys in wards.items():
            for old_key in old_keys:
                successors.setdefault(id(old_by_key[old_key]), set()).add(new_commune_code[(new_p_key, new_w_key)])
    for new_p_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            row = old_by_key[old_key]
            divided.add(id(row))
            for target in targets:
                successors.setdefault(id(row), set()).add(new_commune_code[(new_p_key, target["newWardKey"])])

    missing = [r["code"] for r in [*old_provinces.values(), *old_communes.values()] if id(r) not in successors]
    if missing:
        raise SystemExit(f"Không có đơn vị kế thừa cho {len(missing)} đơn vị cũ, ví dụ {missing[:5]}.")

    receives_part: set[str] = set()
    for old_id in divided:
        receives_part |= successors[old_id]

    rows: list[dict] = []
    for row in [*old_provinces.values(), *old_districts.values(), *old_communes.values()]:
        codes = successors.get(id(row))
        is_split = id(row) in divided or (codes is not None and len(codes) > 1)
        rows.append({**row, "valid_from": "", "valid_to": LEGACY_END,
                     "successor_codes": "+".join(sorted(codes)) if codes else "",
                     # districts with communes hand their territory on through their communes: n/a
                     "split": ("true" if is_split else "false") if codes else "",
                     "merged_whole": "", "source": "package"})
    for row in [*new_provinces.values(), *new_communes.values()]:
        rows.append({**row, "valid_from": REFORM_START, "valid_to": "", "successor_codes": "", "split": "",
                     "merged_whole": "false" if row["code"] in receives_part and row["level"] == "commune" else "true",
                     "source": "package"})

    hue = next(r for r in rows if r["level"] == "province" and r["code"] == HUE_CODE and r["valid_to"] == LEGACY_END)
    hue["valid_from"] = HUE_RENAMED_ON
    hue["source"] = "package+manual"
    rows.extend(dict(r) for r in MANUAL_ROWS)

    for row in rows:
        for column in COLUMNS:
            row[column] = nfc(row[column])
    rows.sort(key=lambda r: (LEVEL_RANK[r["level"]], r["province_code"], r["code"], r["valid_from"]))
    keys = [(r["code"], r["valid_from"]) for r in rows]
    if len(keys) != len(set(keys)):
        raise SystemExit("(code, valid_from) không duy nhất.")
    return rows, sorted(set(notes))


def body_text(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def header_text(rows, notes, version, licence, db_sha, conv_sha, body_sha, generated_on) -> str:
    def count(level, **match):
        return sum(1 for r in rows if r["level"] == level and all(r[k] == v for k, v in match.items()))

    split_n = sum(1 for r in rows if r["level"] == "commune" and r["split"] == "true")
    not_whole_n = sum(1 for r in rows if r["level"] == "commune" and r["merged_whole"] == "false")
    lines = [
        "National list of administrative units (tỉnh, huyện, xã) with history, keyed by (code, validity period).",
        "A GSO code can be reused by a successor unit (19996 is Phường Tứ Hạ until 2025-06-30, Phường Hương Trà",
        "from 2025-07-01), so a unit is the pair (code, valid_from), never a code or a name alone.",
        "GENERATED by scripts/build_unit_list.py — do not edit by hand; rerun the script instead.",
        f"Generated on {generated_on} from {PACKAGE} {version} (licence: {licence}), {PACKAGE_URL}:",
        f"  data/dataset.db sha256 {db_sha} (tables admin_units, admin_units_legacy)",
        f"  data/converter_2025.json sha256 {conv_sha}",
        f"Data sha256 (the column line and every row below, UTF-8, LF line ends): {body_sha}",
        "Columns:",
        "  code: GSO code as text, leading zeros kept (province 2 digits, district 3, commune 5).",
        "  name: name without the type word (full name = capitalised type + ' ' + name, e.g. 'Phường 1'",
        "    is name '1'); NFC. Taken from the package's full name, not its disambiguated short name.",
        "  type: tỉnh / thành phố / quận / huyện / thị xã / phường / xã / thị trấn / đặc khu (lower case),",
        "    read from the leading word(s) of the package's full name.",
        "  level: province / district / commune.",
        "  parent_code: district for a pre-reform commune; province for a district and for a post-reform commune;",
        "    empty for a province.",
        "  province_code: the province the unit belonged to during its own validity period.",
        "  valid_from / valid_to: ISO dates, inclusive. Pre-reform units end 2025-06-30 (districts were abolished",
        "    then); post-reform units start 2025-07-01 and valid_to is empty (open-ended). valid_from EMPTY on a",
        "    pre-reform unit means UNKNOWN, not 'always': the package is a snapshot of the units as they stood on",
        "    2025-06-30, without their creation dates.",
        "  successor_codes: for a pre-reform unit, the '+'-separated post-reform code(s) (sorted) it went into;",
        "    empty for post-reform units and for districts that had communes (their land passed on through their",
        "    communes); the island districts without communes list the đặc khu that replaced them.",
        "  split: true when a pre-reform unit was divided among several post-reform units (its figures cannot be",
        "    moved whole to one successor); false when it went whole into one; empty where not applicable",
        "    (post-reform units, districts with communes).",
        "  merged_whole: for a post-reform unit, true when it was formed only of whole pre-reform units, false when",
        "    it received part of a split unit; empty for pre-reform units. Provinces were merged whole.",
        "  source: package = the package's data; manual = added here (not in the package);",
        "    package+manual = package row with a date set here.",
        "Manual facts (not in the package; from Nghị quyết 1314/NQ-UBTVQH15, domain brief §4, reference/units.csv):",
        f"  code 46 was tỉnh Thừa Thiên Huế until 2024-12-31 and thành phố Huế (same code) from {HUE_RENAMED_ON};",
        "  the package names it 'Thành phố Huế' for the whole pre-reform period, so that date is NOT checked",
        "  against the package.",
        "Not covered: units that ceased or were renamed between 2021 and 2025-06-30 (the 2023-2025 mergers of",
        "  communes and districts, e.g. the old thành phố Huế split into quận Phú Xuân and quận Thuận Hóa on",
        "  2025-01-01) are absent, and the units present carry no valid_from: the package has no such history.",
        f"Counts: provinces {count('province', valid_to=LEGACY_END)} pre-reform"
        f" + {count('province', valid_from=REFORM_START)} post-reform (+1 manual); districts {count('district')};"
        f" communes {count('commune', valid_to=LEGACY_END)}"
        f" pre-reform + {count('commune', valid_from=REFORM_START)} post-reform.",
        f"  {split_n} pre-reform communes were split; {not_whole_n} post-reform communes received part of a split one.",
    ]
    if notes:
        lines.append("Package inconsistencies resolved here:")
        lines += [f"  {note}" for note in notes]
    return "".join(f"# {line}\n" for line in lines)


def render(existing: str | None, allow_other_version: bool) -> str:
    version, db_path, converter_path = package_files()
    if version != PINNED_VERSION and not allow_other_version:
        raise SystemExit(f"{PACKAGE} {version} được cài, script ghim {PINNED_VERSION} (dùng --any-version nếu chủ ý).")
    rows, notes = build_rows(db_path, converter_path)
    body = body_text(rows)
    db_sha = hashlib.sha256(db_path.read_bytes()).hexdigest()
    conv_sha = hashlib.sha256(converter_path.read_bytes()).hexdigest()
    body_sha = hashlib.sha256(body.encode("utf-8")).hexdigest()

    def text(day: str) -> str:
        return header_text(rows, notes, version, licence_of(version), db_sha, conv_sha, body_sha, day) + body

    if existing:
        found = DATE_LINE.search(existing)
        if found and text(found.group(1)) == existing:
            return existing                 # nothing changed: keep the old generation date
    return text(dt.date.today().isoformat())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the CSV would change")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--any-version", action="store_true", help=f"accept a version other than {PINNED_VERSION}")
    args = parser.parse_args(argv)
    existing = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    text = render(existing, args.any_version)
    if args.check:
        if text != existing:
            print(f"{args.output} is out of date: rerun scripts/build_unit_list.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    if text != existing:
        args.output.write_bytes(text.encode("utf-8"))
        print(f"wrote {args.output} ({len(text.encode('utf-8')):,} bytes)")
    else:
        print(f"{args.output} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
