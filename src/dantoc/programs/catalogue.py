"""The seed catalogue of programmes, their components and the funding sources.

Data, not code: the data migration `0002_catalogue` and `ensure_catalogue()` both read it. Admins may
edit or extend the catalogue afterwards; `ensure_catalogue()` only adds what is missing and never
overwrites an edited name.

Sources checked: Decision 1722/QĐ-TTg (02/09/2016), Decision 1719/QĐ-TTg (14/10/2021), Resolution
257/2025/QH15 (11/12/2025) and Decision 417/QĐ-BNNMT (31/01/2026) by number and date; component names
follow the decisions' wording as far as it could be checked (see the closing note of the issue).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

INFRA, PROD, CAP, LAND, HOUSING, WATER, TRAINING, OTHER = (
    "infrastructure",
    "production",
    "capacity",
    "land",
    "housing",
    "water",
    "training",
    "other",
)
PROJECT, SUBPROJECT, CONTENT = "project", "subproject", "content"


@dataclass(frozen=True)
class Comp:
    code: str
    name: str
    category: str = OTHER
    level: str = PROJECT
    children: tuple[Comp, ...] = ()


@dataclass(frozen=True)
class Prog:
    code: str
    name: str
    short_name: str
    start_year: int
    end_year: int | None
    basis_number: str
    basis_date: dt.date | None
    owner_agency: str
    description: str
    components: tuple[Comp, ...] = field(default=())


UBDT = "Ủy ban Dân tộc (từ 2025: Bộ Dân tộc và Tôn giáo)"
LDTBXH = "Bộ Lao động - Thương binh và Xã hội"
BNNMT = "Bộ Nông nghiệp và Môi trường"

_P135_INFRA = (
    "Hỗ trợ đầu tư cơ sở hạ tầng cho các xã đặc biệt khó khăn, xã biên giới, xã an toàn khu, "
    "các thôn, bản đặc biệt khó khăn"
)
_P135_PROD = (
    "Hỗ trợ phát triển sản xuất, đa dạng hoá sinh kế và nhân rộng mô hình giảm nghèo các xã đặc biệt "
    "khó khăn, "
    "xã biên giới, xã an toàn khu, các thôn, bản đặc biệt khó khăn"
)
_P135_CAP = (
    "Nâng cao năng lực cho cộng đồng và cán bộ cơ sở các xã đặc biệt khó khăn, xã biên giới, xã an toàn khu, "
    "các thôn, bản đặc biệt khó khăn"
)

PROGRAMS: tuple[Prog, ...] = (
    Prog(
        code="P135",
        name=(
            "Chương trình 135 giai đoạn 2016-2020: hỗ trợ đầu tư cơ sở hạ tầng, hỗ trợ phát triển "
            "sản xuất cho "
            "các xã đặc biệt khó khăn, xã biên giới, xã an toàn khu, các thôn, bản đặc biệt khó khăn"
        ),
        short_name="Chương trình 135",
        start_year=2016,
        end_year=2020,
        basis_number="1722/QĐ-TTg",
        basis_date=dt.date(2016, 9, 2),
        owner_agency=UBDT,
        description=(
            "Dự án 2 của Chương trình mục tiêu quốc gia Giảm nghèo bền vững giai đoạn 2016-2020; địa "
            "bàn theo "
            "Quyết định 900/QĐ-TTg ngày 20/6/2017 (xã) và Quyết định 414/QĐ-UBDT ngày 11/7/2017 (thôn)."
        ),
        components=(
            Comp(
                "P135-1",
                _P135_INFRA,
                INFRA,
                SUBPROJECT,
                children=(
                    Comp("P135-1.1", "Đầu tư xây dựng công trình cơ sở hạ tầng", INFRA, CONTENT),
                    Comp("P135-1.2", "Duy tu, bảo dưỡng công trình cơ sở hạ tầng sau đầu tư", INFRA, CONTENT),
                ),
            ),
            Comp("P135-2", _P135_PROD, PROD, SUBPROJECT),
            Comp("P135-3", _P135_CAP, CAP, SUBPROJECT),
        ),
    ),
    Prog(
        code="30A",
        name="Chương trình hỗ trợ giảm nghèo nhanh và bền vững đối với các huyện nghèo (Chương trình 30a)",
        short_name="Chương trình 30a",
        start_year=2009,
        end_year=2020,
        basis_number="30a/2008/NQ-CP",
        basis_date=dt.date(2008, 12, 27),
        owner_agency=LDTBXH,
        description=(
            "Từ 2016 là Dự án 1 của Chương trình mục tiêu quốc gia Giảm nghèo bền vững 2016-2020 "
            "(Quyết định 1722/QĐ-TTg). Danh sách huyện nghèo 2018-2020: Quyết định 275/QĐ-TTg ngày 07/3/2018."
        ),
        components=(
            Comp("30A-1", "Hỗ trợ đầu tư cơ sở hạ tầng các huyện nghèo", INFRA),
            Comp(
                "30A-2",
                "Hỗ trợ phát triển sản xuất, tạo việc làm, tăng thu nhập, đa dạng hoá sinh kế "
                "và nhân rộng mô hình giảm nghèo trên địa bàn các huyện nghèo",
                PROD,
            ),
            Comp(
                "30A-3",
                "Hỗ trợ giáo dục, đào tạo, dạy nghề, nâng cao dân trí; hỗ trợ lao động thuộc hộ nghèo, "
                "cận nghèo, hộ dân tộc thiểu số đi làm việc có thời hạn ở nước ngoài",
                TRAINING,
            ),
            Comp("30A-4", "Chính sách cán bộ đối với các huyện nghèo", CAP),
        ),
    ),
    Prog(
        code="NTP-GNBV-2016",
        name="Chương trình mục tiêu quốc gia Giảm nghèo bền vững giai đoạn 2016-2020",
        short_name="CTMTQG Giảm nghèo bền vững 2016-2020",
        start_year=2016,
        end_year=2020,
        basis_number="1722/QĐ-TTg",
        basis_date=dt.date(2016, 9, 2),
        owner_agency=LDTBXH,
        description=(
            "Gồm 5 dự án. Dự án 1 (Chương trình 30a) và Dự án 2 (Chương trình 135) cũng có trong "
            "danh mục dưới "
            "mã riêng (30A, P135) để theo dõi kế hoạch vốn và công trình của từng chương trình."
        ),
        components=(
            Comp(
                "DA1",
                "Chương trình 30a",
                INFRA,
                children=(
                    Comp("DA1-TDA1", "Hỗ trợ đầu tư cơ sở hạ tầng các huyện nghèo", INFRA, SUBPROJECT),
                    Comp(
                        "DA1-TDA2",
                        "Hỗ trợ đầu tư cơ sở hạ tầng các xã đặc biệt khó khăn vùng bãi ngang ven biển "
                        "và hải đảo",
                        INFRA,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA1-TDA3",
                        "Hỗ trợ phát triển sản xuất, đa dạng hoá sinh kế và nhân rộng mô hình giảm nghèo "
                        "trên địa bàn các huyện nghèo, các xã đặc biệt khó khăn vùng bãi ngang ven biển và "
                        "hải đảo",
                        PROD,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA1-TDA4",
                        "Hỗ trợ cho lao động thuộc hộ nghèo, hộ cận nghèo, hộ đồng bào dân tộc thiểu số "
                        "đi làm việc có thời hạn ở nước ngoài",
                        TRAINING,
                        SUBPROJECT,
                    ),
                ),
            ),
            Comp(
                "DA2",
                "Chương trình 135",
                INFRA,
                children=(
                    Comp("DA2-TDA1", _P135_INFRA, INFRA, SUBPROJECT),
                    Comp("DA2-TDA2", _P135_PROD, PROD, SUBPROJECT),
                    Comp("DA2-TDA3", _P135_CAP, CAP, SUBPROJECT),
                ),
            ),
            Comp(
                "DA3",
                "Hỗ trợ phát triển sản xuất, đa dạng hoá sinh kế và nhân rộng mô hình giảm nghèo trên địa "
                "bàn các xã ngoài Chương trình 30a và Chương trình 135",
                PROD,
            ),
            Comp("DA4", "Truyền thông và giảm nghèo về thông tin", OTHER),
            Comp("DA5", "Nâng cao năng lực và giám sát, đánh giá thực hiện Chương trình", CAP),
        ),
    ),
    Prog(
        code="CS-DATSX",
        name=(
            "Chính sách đặc thù hỗ trợ phát triển kinh tế - xã hội vùng dân tộc thiểu số và miền núi "
            "giai đoạn "
            "2017-2020 (đất ở, đất sản xuất, nước sinh hoạt, nhà ở)"
        ),
        short_name="Chính sách đất sản xuất, nước, nhà ở",
        start_year=2017,
        end_year=2020,
        basis_number="2085/QĐ-TTg",
        basis_date=dt.date(2016, 10, 31),
        owner_agency=UBDT,
        description=(
            "Hỗ trợ hộ dân tộc thiểu số nghèo, hộ nghèo ở xã, thôn đặc biệt khó khăn: đất ở, đất sản xuất "
            "(hoặc chuyển đổi nghề), nước sinh hoạt phân tán, vay vốn ưu đãi; hỗ trợ nhà ở cho hộ nghèo theo "
            "Quyết định 33/2015/QĐ-TTg."
        ),
        components=(
            Comp("CS-1", "Hỗ trợ đất ở", LAND),
            Comp("CS-2", "Hỗ trợ đất sản xuất", LAND),
            Comp("CS-3", "Hỗ trợ chuyển đổi nghề", TRAINING),
            Comp("CS-4", "Hỗ trợ nước sinh hoạt phân tán", WATER),
            Comp("CS-5", "Vay vốn tín dụng ưu đãi (Ngân hàng Chính sách xã hội)", PROD),
            Comp("CS-6", "Hỗ trợ nhà ở cho hộ nghèo (Quyết định 33/2015/QĐ-TTg)", HOUSING),
        ),
    ),
    Prog(
        code="NTP-DTTS-2021",
        name=(
            "Chương trình mục tiêu quốc gia phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu "
            "số và miền núi "
            "giai đoạn 2021-2030, giai đoạn I: từ năm 2021 đến năm 2025"
        ),
        short_name="CTMTQG 1719 (vùng DTTS và miền núi)",
        start_year=2021,
        end_year=2025,
        basis_number="1719/QĐ-TTg",
        basis_date=dt.date(2021, 10, 14),
        owner_agency=UBDT,
        description=(
            "Chủ trương đầu tư: Nghị quyết 120/2020/QH14 ngày 19/6/2020. Điều chỉnh: Quyết định "
            "920/QĐ-TTg ngày "
            "14/5/2025. Gồm 10 dự án."
        ),
        components=(
            Comp("DA1", "Giải quyết tình trạng thiếu đất ở, nhà ở, đất sản xuất, nước sinh hoạt", LAND),
            Comp("DA2", "Quy hoạch, sắp xếp, bố trí, ổn định dân cư ở những nơi cần thiết", OTHER),
            Comp(
                "DA3",
                "Phát triển sản xuất nông, lâm nghiệp bền vững, phát huy tiềm năng, thế mạnh của các vùng "
                "miền để sản xuất hàng hóa theo chuỗi giá trị",
                PROD,
                children=(
                    Comp(
                        "DA3-TDA1",
                        "Phát triển kinh tế nông, lâm nghiệp bền vững gắn với bảo vệ rừng và nâng cao "
                        "thu nhập cho người dân",
                        PROD,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA3-TDA2",
                        "Hỗ trợ phát triển sản xuất theo chuỗi giá trị, vùng trồng dược liệu quý, thúc "
                        "đẩy khởi sự kinh doanh, khởi nghiệp và thu hút đầu tư vùng đồng bào dân tộc "
                        "thiểu số và miền núi",
                        PROD,
                        SUBPROJECT,
                    ),
                ),
            ),
            Comp(
                "DA4",
                "Đầu tư cơ sở hạ tầng thiết yếu, phục vụ sản xuất, đời sống trong vùng đồng bào dân tộc "
                "thiểu số và miền núi và các đơn vị sự nghiệp công lập của lĩnh vực dân tộc",
                INFRA,
            ),
            Comp(
                "DA5",
                "Phát triển giáo dục đào tạo nâng cao chất lượng nguồn nhân lực",
                TRAINING,
                children=(
                    Comp(
                        "DA5-TDA1",
                        "Đổi mới hoạt động, củng cố phát triển các trường phổ thông dân tộc nội trú, "
                        "trường phổ thông dân tộc bán trú, trường phổ thông có học sinh ở bán trú và xóa "
                        "mù chữ cho người dân vùng đồng bào dân tộc thiểu số",
                        TRAINING,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA5-TDA2",
                        "Bồi dưỡng kiến thức dân tộc; đào tạo dự bị đại học, đại học và sau đại học đáp "
                        "ứng nhu cầu nhân lực cho vùng đồng bào dân tộc thiểu số và miền núi",
                        TRAINING,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA5-TDA3",
                        "Dự án phát triển giáo dục nghề nghiệp và giải quyết việc làm cho người lao động "
                        "vùng dân tộc thiểu số và miền núi",
                        TRAINING,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA5-TDA4",
                        "Đào tạo nâng cao năng lực cho cộng đồng và cán bộ triển khai Chương trình ở các cấp",
                        CAP,
                        SUBPROJECT,
                    ),
                ),
            ),
            Comp(
                "DA6",
                "Bảo tồn, phát huy giá trị văn hóa truyền thống tốt đẹp của các dân tộc thiểu số gắn với "
                "phát triển du lịch",
                OTHER,
            ),
            Comp(
                "DA7",
                "Chăm sóc sức khỏe Nhân dân, nâng cao thể trạng, tầm vóc người dân tộc thiểu số; phòng "
                "chống suy dinh dưỡng trẻ em",
                OTHER,
            ),
            Comp(
                "DA8",
                "Thực hiện bình đẳng giới và giải quyết những vấn đề cấp thiết đối với phụ nữ và trẻ em",
                OTHER,
            ),
            Comp(
                "DA9",
                "Đầu tư phát triển nhóm dân tộc thiểu số rất ít người và nhóm dân tộc còn nhiều khó khăn",
                OTHER,
                children=(
                    Comp(
                        "DA9-TDA1",
                        "Đầu tư tạo sinh kế, phát triển kinh tế nhóm dân tộc thiểu số rất ít người, nhóm "
                        "dân tộc còn nhiều khó khăn",
                        PROD,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA9-TDA2",
                        "Giảm thiểu tình trạng tảo hôn và hôn nhân cận huyết thống trong vùng đồng bào "
                        "dân tộc thiểu số và miền núi",
                        OTHER,
                        SUBPROJECT,
                    ),
                ),
            ),
            Comp(
                "DA10",
                "Truyền thông, tuyên truyền, vận động trong vùng đồng bào dân tộc thiểu số và miền núi. "
                "Kiểm tra, giám sát đánh giá việc tổ chức thực hiện Chương trình",
                CAP,
                children=(
                    Comp(
                        "DA10-TDA1",
                        "Biểu dương, tôn vinh điển hình tiên tiến, phát huy vai trò của người có uy tín; "
                        "phổ biến, giáo dục pháp luật, trợ giúp pháp lý và tuyên truyền, vận động đồng "
                        "bào dân tộc thiểu số",
                        OTHER,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA10-TDA2",
                        "Ứng dụng công nghệ thông tin hỗ trợ đồng bào dân tộc thiểu số trong phát triển "
                        "kinh tế - xã hội và đảm bảo an ninh trật tự vùng đồng bào dân tộc thiểu số và "
                        "miền núi",
                        OTHER,
                        SUBPROJECT,
                    ),
                    Comp(
                        "DA10-TDA3",
                        "Kiểm tra, giám sát, đánh giá, đào tạo, tập huấn tổ chức thực hiện Chương trình",
                        CAP,
                        SUBPROJECT,
                    ),
                ),
            ),
        ),
    ),
    Prog(
        code="NTP-2026",
        name=(
            "Chương trình mục tiêu quốc gia xây dựng nông thôn mới, giảm nghèo bền vững và phát "
            "triển kinh tế - "
            "xã hội vùng đồng bào dân tộc thiểu số và miền núi giai đoạn 2026-2035"
        ),
        short_name="CTMTQG 2026-2035",
        start_year=2026,
        end_year=2035,
        basis_number="257/2025/QH15",
        basis_date=dt.date(2025, 12, 11),
        owner_agency=BNNMT,
        description=(
            "Hợp nhất ba chương trình mục tiêu quốc gia giai đoạn 2021-2025. Giai đoạn I (2026-2030) "
            "phê duyệt "
            "tại Quyết định 417/QĐ-BNNMT ngày 31/01/2026; kế hoạch triển khai: Nghị quyết 424/NQ-CP ngày "
            "30/12/2025."
        ),
        components=(
            Comp("HP1", "Hợp phần 1: Xây dựng nông thôn mới và giảm nghèo bền vững (nội dung chung)", OTHER),
            Comp(
                "HP2",
                "Hợp phần 2: Phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu số và miền núi",
                INFRA,
            ),
        ),
    ),
)

# (code, Vietnamese name, order)
FUNDING_SOURCES: tuple[tuple[str, str, int], ...] = (
    ("central", "Ngân sách trung ương", 1),
    ("local", "Ngân sách địa phương", 2),
    ("policy-credit", "Vốn tín dụng chính sách", 3),
    ("oda", "Vốn ODA", 4),
    ("people", "Huy động nhân dân đóng góp", 5),
    ("other", "Nguồn vốn khác", 6),
)


def _walk(comps: tuple[Comp, ...], parent: str | None = None) -> list[tuple[Comp, str | None, int]]:
    out: list[tuple[Comp, str | None, int]] = []
    for i, c in enumerate(comps, start=1):
        out.append((c, parent, i))
        out += _walk(c.children, c.code)
    return out


def flat_components(prog: Prog) -> list[tuple[Comp, str | None, int]]:
    """Components parent-first, with their parent's code and their order among siblings."""
    return _walk(prog.components)


def ensure_catalogue(apps: Any = None) -> dict[str, int]:
    """Add the programmes, components and funding sources that are missing; never overwrite edits.

    Usable from a data migration (pass `apps`) and at run time (idempotent). Returns what was added.
    """
    if apps is not None:
        program_model = apps.get_model("programs", "Program")
        component_model = apps.get_model("programs", "Component")
        source_model = apps.get_model("programs", "FundingSource")
    else:
        from dantoc.programs.models import Component as component_model
        from dantoc.programs.models import FundingSource as source_model
        from dantoc.programs.models import Program as program_model

    added = {"programs": 0, "components": 0, "sources": 0}
    have_sources = set(source_model.objects.values_list("code", flat=True))
    new_sources = [
        source_model(code=c, name=n, order=o) for c, n, o in FUNDING_SOURCES if c not in have_sources
    ]
    source_model.objects.bulk_create(new_sources)
    added["sources"] = len(new_sources)

    for prog in PROGRAMS:
        program = program_model.objects.filter(code=prog.code).first()
        if program is None:
            program = program_model.objects.create(
                code=prog.code,
                name=prog.name,
                short_name=prog.short_name,
                start_year=prog.start_year,
                end_year=prog.end_year,
                basis_number=prog.basis_number,
                basis_date=prog.basis_date,
                owner_agency=prog.owner_agency,
                description=prog.description,
            )
            added["programs"] += 1
        existing = {c.code: c for c in component_model.objects.filter(program=program)}
        for comp, parent_code, order in flat_components(prog):
            if comp.code in existing:
                continue
            existing[comp.code] = component_model.objects.create(
                program=program,
                parent=existing.get(parent_code) if parent_code else None,
                code=comp.code,
                name=comp.name,
                level=comp.level,
                category=comp.category,
                order=order,
            )
            added["components"] += 1
    return added
