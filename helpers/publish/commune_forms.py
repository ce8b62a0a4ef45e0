"""Blank data-entry workbooks for the communes, to send out before the reporting season.

    python -m helpers.publish.commune_forms --year 2026                # one workbook per commune of the default entity
    python -m helpers.publish.commune_forms --entity hue --year 2026   # of thành phố Huế, into output/hue/template/
    python -m helpers.publish.commune_forms --year 2024 --out DIR      # somewhere else than output/template/

Each workbook is the project's template (``helpers.ingest.template.write_template``) with the
commune's GSO code, name and the year filled in, so the reader keys it by code. The communes are
those the reporting entity adds up on 31/12 of the year (``Reference.communes``); the workbooks go
to the entity's output folder (:func:`helpers.paths.entity_dirs`), in ``template/``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path

from helpers.ingest.template import write_template
from helpers.paths import DEFAULT_ENTITY, entity_dirs, resolve_project_path
from helpers.reference import Reference
from helpers.text import fold

log = logging.getLogger(__name__)
TEMPLATE_SUBDIR = "template"


def template_dir(entity: str = DEFAULT_ENTITY) -> Path:
    """Where the blank workbooks of an entity go: ``output/template/`` for the default entity,
    ``output/<entity>/template/`` for another."""
    return entity_dirs(entity)[1] / TEMPLATE_SUBDIR


def write_commune_templates(year: int, out_dir: Path | None = None, *, entity: str = DEFAULT_ENTITY,
                            ref: Reference | None = None) -> list[Path]:
    """Write one blank workbook per commune of the entity valid on 31/12 of ``year``; returns the
    paths written (default folder: :func:`template_dir`)."""
    ref = ref if ref is not None else Reference.load(entity=entity)
    out_dir = resolve_project_path(template_dir(ref.entity.key) if out_dir is None else out_dir)
    written = []
    for unit in ref.communes(year).itertuples(index=False):
        name = f"{unit.code}_{fold(unit.name).replace(' ', '_')}_{year}.xlsx"
        written.append(write_template(out_dir / name, ref.fields, unit_code=unit.code, unit_name=unit.full_name,
                                      year=year))
        log.info("wrote %s", written[-1])
    return written


def main(argv: list[str] | None = None) -> int:
    from helpers.errors import WorkbookError
    from helpers.run.batch import VietnameseArgumentParser
    from helpers.run.parameters import check_entity_exists, check_year

    this_year = dt.date.today().year
    parser = VietnameseArgumentParser(prog="python -m helpers.publish.commune_forms",
                                      description="Viết biểu mẫu trống cho từng phường, xã của đơn vị báo cáo.")
    parser.add_argument("--entity", default=DEFAULT_ENTITY, metavar="ĐƠN_VỊ",
                        help=f"đơn vị báo cáo, theo tệp reference/entities/<ĐƠN_VỊ>.toml (mặc định: {DEFAULT_ENTITY})")
    parser.add_argument("--year", type=int, default=this_year, metavar="NĂM",
                        help=f"năm báo cáo ghi sẵn trong biểu (mặc định: năm nay, {this_year})")
    parser.add_argument("--out", default=None, metavar="THƯ_MỤC",
                        help="thư mục ghi biểu mẫu (mặc định: output/template, hoặc output/<ĐƠN_VỊ>/template "
                             "cho đơn vị khác đơn vị mặc định)")
    args = parser.parse_args(argv)
    try:
        ref = Reference.load(entity=args.entity)
        check_entity_exists(ref, args.year)     # the thị xã ended on 30/6/2025: say so, and who took over
        check_year(args.year, ref.entity)
    except WorkbookError as exc:
        print(exc, file=sys.stderr)
        return 1
    out_dir = Path(args.out) if args.out else template_dir(ref.entity.key)
    paths = write_commune_templates(args.year, out_dir, ref=ref)
    if not paths:
        print(f"Không có phường, xã nào của {ref.entity.name} còn hiệu lực cuối năm {args.year} "
              "(reference/units_vietnam.csv); chưa viết biểu mẫu nào.", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    print(f"Đã viết {len(paths)} biểu mẫu của {ref.entity.name} năm {args.year} vào {resolve_project_path(out_dir)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
