"""Blank data-entry workbooks for the communes, to send out before the reporting season.

    python -m helpers.publish.commune_forms --year 2025            # one workbook per commune of 2025
    python -m helpers.publish.commune_forms --year 2025 --out DIR  # somewhere else than output/template/

Each workbook is the project's template (``helpers.ingest.template.write_template``) with the
commune's GSO code, name and the year filled in, so the reader keys it by code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from helpers.ingest.template import write_template
from helpers.paths import OUTPUT_DIR, resolve_project_path
from helpers.reference import load_entity, load_fields, load_units
from helpers.text import fold

log = logging.getLogger(__name__)
TEMPLATE_SUBDIR = "template"


def write_commune_templates(year: int, out_dir: Path = OUTPUT_DIR / TEMPLATE_SUBDIR) -> list[Path]:
    """Write one blank workbook per commune valid in ``year``; returns the paths written."""
    from helpers.reference import communes_of

    entity = load_entity()
    fields = load_fields()
    communes = communes_of(entity, load_units(), year)
    out_dir = resolve_project_path(out_dir)
    written = []
    for unit in communes.itertuples(index=False):
        name = f"{unit.code}_{fold(unit.name).replace(' ', '_')}_{year}.xlsx"
        written.append(write_template(out_dir / name, fields, unit_code=unit.code, unit_name=unit.full_name,
                                      year=year))
        log.info("wrote %s", written[-1])
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Viết biểu mẫu trống cho từng phường, xã.")
    parser.add_argument("--year", type=int, required=True, help="năm báo cáo ghi sẵn trong biểu")
    parser.add_argument("--out", default=str(OUTPUT_DIR / TEMPLATE_SUBDIR), help="thư mục ghi biểu mẫu")
    args = parser.parse_args(argv)
    from helpers.errors import WorkbookError
    from helpers.reference import Reference
    from helpers.run.parameters import check_entity_exists

    try:
        check_entity_exists(Reference.load(), args.year)   # the thị xã ended on 30/6/2025: say so, and who took over
    except WorkbookError as exc:
        print(exc, file=sys.stderr)
        return 1
    paths = write_commune_templates(args.year, Path(args.out))
    if not paths:
        print(f"Không có phường, xã nào của {load_entity().name} còn hiệu lực cuối năm {args.year} "
              "(reference/units.csv); chưa viết biểu mẫu nào.", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    print(f"Đã viết {len(paths)} biểu mẫu vào {resolve_project_path(args.out)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
