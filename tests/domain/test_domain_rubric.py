"""The GB/T 19580 rubric as data and the scoring rules: R4.1 points, R4.2 editions, R13.1 self-scores."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.rubric import (
    Band,
    ItemKind,
    Rubric,
    available_editions,
    band_of,
    item_points,
    item_spread,
    load_rubric,
    score_sheet,
    validate_scores,
    wide_spread_items,
)
from domain.rules import KNOWN_CRITERIA_EDITIONS

EDITION = "GB/T 19580-2012"
RUBRIC = load_rubric(EDITION)
BUNDLED = Path(__file__).resolve().parents[2] / "domain" / "rubrics" / "gbt-19580-2012.json"

TABLE_2012 = {
    "4.1": (
        "领导",
        110,
        {"4.1.1": ("高层领导的作用", 50), "4.1.2": ("组织治理", 30), "4.1.3": ("社会责任", 30)},
    ),
    "4.2": ("战略", 90, {"4.2.1": ("战略制定", 40), "4.2.2": ("战略部署", 50)}),
    "4.3": ("顾客与市场", 90, {"4.3.1": ("顾客和市场的了解", 40), "4.3.2": ("顾客关系与顾客满意", 50)}),
    "4.4": (
        "资源",
        130,
        {
            "4.4.1": ("人力资源", 60),
            "4.4.2": ("财务资源", 15),
            "4.4.3": ("信息和知识资源", 20),
            "4.4.4": ("技术资源", 15),
            "4.4.5": ("基础设施", 10),
            "4.4.6": ("相关方关系", 10),
        },
    ),
    "4.5": ("过程管理", 100, {"4.5.1": ("过程的识别与设计", 50), "4.5.2": ("过程的实施与改进", 50)}),
    "4.6": ("测量、分析与改进", 80, {"4.6.1": ("测量、分析和评价", 40), "4.6.2": ("改进与创新", 40)}),
    "4.7": (
        "结果",
        400,
        {
            "4.7.1": ("产品和服务结果", 80),
            "4.7.2": ("顾客与市场结果", 80),
            "4.7.3": ("财务结果", 80),
            "4.7.4": ("资源结果", 60),
            "4.7.5": ("过程有效性结果", 50),
            "4.7.6": ("领导方面的结果", 50),
        },
    ),
}


def all_at(pct: int) -> dict[str, int]:
    return dict.fromkeys(RUBRIC.item_codes, pct)


def refused(code: str, scores: dict[str, Any], *, complete: bool = True) -> DomainError:
    with pytest.raises(DomainError) as info:
        validate_scores(RUBRIC, scores, complete=complete)
    assert info.value.code == code
    assert info.value.status == 422
    assert info.value.message_zh and info.value.message_en
    return info.value


def edition_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BUNDLED.read_text(encoding="utf-8"))
    data.update(overrides)
    return data


def write(directory: Path, name: str, data: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# --------------------------------------------------------------------------- the 2012 table


@pytest.mark.req("R4.1")
def test_2012_table_has_7_categories_23_items_and_1000_points() -> None:
    assert [c.code for c in RUBRIC.categories] == list(TABLE_2012)
    assert len(RUBRIC.items) == 23
    for category in RUBRIC.categories:
        name, points, items = TABLE_2012[category.code]
        assert (category.name_zh, category.max_points) == (name, points)
        assert {i.code: (i.name_zh, i.max_points) for i in category.items} == items
        assert sum(i.max_points for i in category.items) == category.max_points
        assert all(i.category == category.code for i in category.items)
    assert sum(c.max_points for c in RUBRIC.categories) == 1000 == RUBRIC.total_points
    assert RUBRIC.item_codes == tuple(code for _, _, items in TABLE_2012.values() for code in items)


@pytest.mark.req("R4.1")
def test_items_4_1_to_4_6_are_process_items_and_4_7_result_items() -> None:
    for item in RUBRIC.items:
        expected = ItemKind.RESULT if item.code.startswith("4.7.") else ItemKind.PROCESS
        assert item.kind is expected, item.code
    assert sum(i.max_points for i in RUBRIC.items if i.kind is ItemKind.PROCESS) == 600
    assert sum(i.max_points for i in RUBRIC.items if i.kind is ItemKind.RESULT) == 400


@pytest.mark.req("R4.1")
def test_edition_metadata_step_and_the_gbz_19579_bands() -> None:
    assert RUBRIC.edition == EDITION
    assert RUBRIC.title == "《卓越绩效评价准则》"
    assert RUBRIC.standards == ("GB/T 19580-2012", "GB/Z 19579-2012")
    assert RUBRIC.step == 5
    expected = [(0, 5), (10, 25), (30, 45), (50, 65), (70, 85), (90, 100)]
    for kind in ItemKind:
        bands = RUBRIC.bands_for(kind)
        assert [(b.low, b.high) for b in bands] == expected
        assert all(b.summary_zh and len(b.criteria_zh) == 4 for b in bands)
    assert [d for d, _ in RUBRIC.bands_for(ItemKind.PROCESS)[0].criteria_zh] == [
        "方法",
        "展开",
        "学习",
        "整合",
    ]
    assert [d for d, _ in RUBRIC.bands_for(ItemKind.RESULT)[0].criteria_zh] == [
        "水平",
        "趋势",
        "对比",
        "整合",
    ]


@pytest.mark.req("R4.1")
def test_every_step_from_0_to_100_lies_in_exactly_one_band_of_each_kind() -> None:
    for kind in ItemKind:
        for pct in range(0, 101, RUBRIC.step):
            assert sum(b.contains(pct) for b in RUBRIC.bands_for(kind)) == 1, (kind, pct)


@pytest.mark.req("R4.1")
@pytest.mark.parametrize(
    ("code", "pct", "low", "high", "kind"),
    [
        ("4.1.1", 0, 0, 5, ItemKind.PROCESS),
        ("4.4.2", 35, 30, 45, ItemKind.PROCESS),
        ("4.7.6", 100, 90, 100, ItemKind.RESULT),
    ],
)
def test_band_of_gives_the_band_of_the_items_kind(
    code: str, pct: int, low: int, high: int, kind: ItemKind
) -> None:
    band = band_of(RUBRIC, code, pct)
    assert isinstance(band, Band)
    assert (band.low, band.high, band.kind) == (low, high, kind)


@pytest.mark.req("R4.1")
def test_band_of_refuses_unknown_items_and_gaps_between_bands() -> None:
    with pytest.raises(DomainError) as info:
        band_of(RUBRIC, "4.8.1", 50)
    assert info.value.code == "SCORE_UNKNOWN_ITEM"
    with pytest.raises(DomainError) as info:
        band_of(RUBRIC, "4.1.1", 7)
    assert info.value.code == "SCORE_OFF_BAND"


# --------------------------------------------------------------------------- points are derived


@pytest.mark.req("R4.1")
def test_points_are_derived_from_percentages_exactly_including_fractions() -> None:
    assert item_points(RUBRIC.item("4.4.2"), 35) == Decimal("5.25")  # 15 × 35 %
    scores = all_at(50) | {"4.4.2": 35, "4.1.1": 65, "4.7.1": 85}
    sheet = score_sheet(RUBRIC, scores)
    assert sheet.items["4.4.2"] == Decimal("5.25")
    assert sheet.items["4.1.1"] == Decimal("32.5")
    assert sheet.items["4.7.1"] == Decimal("68")
    assert sheet.categories["4.4"] == Decimal("62.75")  # 30 + 5.25 + 10 + 7.5 + 5 + 5
    assert sheet.percent == scores
    assert sheet.edition == EDITION
    assert sheet.total == sum(sheet.categories.values()) == Decimal("533.25")  # 500 − 2.25 + 7.5 + 28


@pytest.mark.req("R4.1")
def test_all_100_percent_gives_1000_points_and_all_0_gives_0() -> None:
    full = score_sheet(RUBRIC, all_at(100))
    assert full.total == Decimal(1000)
    assert {code: full.categories[code] for code in TABLE_2012} == {
        code: Decimal(points) for code, (_, points, _) in TABLE_2012.items()
    }
    assert score_sheet(RUBRIC, all_at(0)).total == Decimal(0)


@pytest.mark.req("R4.1")
def test_score_sheet_needs_every_item() -> None:
    scores = all_at(50)
    del scores["4.7.6"]
    with pytest.raises(DomainError) as info:
        score_sheet(RUBRIC, scores)
    assert info.value.code == "SCORE_MISSING_ITEM"


valid_percent = st.sampled_from(range(0, 101, 5))


@pytest.mark.req("R4.1")
@given(st.fixed_dictionaries({code: valid_percent for code in RUBRIC.item_codes}))
def test_property_total_is_the_sum_of_categories_and_of_items_within_0_and_1000(
    scores: dict[str, int],
) -> None:
    sheet = score_sheet(RUBRIC, scores)
    assert sheet.total == sum(sheet.categories.values()) == sum(sheet.items.values())
    assert Decimal(0) <= sheet.total <= Decimal(1000)
    for category in RUBRIC.categories:
        assert sheet.categories[category.code] == sum(sheet.items[i.code] for i in category.items)
        assert sheet.categories[category.code] <= category.max_points
    for item in RUBRIC.items:
        assert sheet.items[item.code] * 100 == item.max_points * scores[item.code]


# --------------------------------------------------------------------------- validation


@pytest.mark.req("R4.1")
def test_off_step_percentage_is_refused_with_an_actionable_message() -> None:
    error = refused("SCORE_OFF_STEP", all_at(50) | {"4.1.1": 37})
    assert error.message_zh == "4.1.1 高层领导的作用：得分率须为5%的整数倍，收到37%"
    assert "4.1.1" in error.message_en and "37" in error.message_en and "multiple of 5" in error.message_en
    assert error.details["item"] == "4.1.1"


@pytest.mark.req("R4.1")
@pytest.mark.parametrize("pct", [105, -5, 101])
def test_percentage_outside_0_to_100_is_refused_as_off_band(pct: int) -> None:
    error = refused("SCORE_OFF_BAND", all_at(50) | {"4.7.3": pct})
    assert "4.7.3 财务结果" in error.message_zh and f"{pct}%" in error.message_zh
    assert error.details == {"item": "4.7.3", "percent": pct}


@pytest.mark.req("R4.1")
@pytest.mark.parametrize("pct", [35.0, "35", True, None])
def test_a_percentage_that_is_not_a_whole_number_is_refused(pct: object) -> None:
    refused("SCORE_OFF_STEP", all_at(50) | {"4.2.1": pct})


@pytest.mark.req("R4.1")
def test_unknown_item_is_refused_and_named() -> None:
    error = refused("SCORE_UNKNOWN_ITEM", all_at(50) | {"4.8.1": 50, "4.1.9": 10})
    assert "4.1.9、4.8.1" in error.message_zh
    assert error.details["items"] == ["4.1.9", "4.8.1"]


@pytest.mark.req("R13.1")
def test_missing_items_are_refused_only_when_the_score_set_must_be_complete() -> None:
    draft = {"4.1.1": 60, "4.7.1": 45}
    validate_scores(RUBRIC, draft, complete=False)
    error = refused("SCORE_MISSING_ITEM", draft)
    assert error.details["items"] == [c for c in RUBRIC.item_codes if c not in draft]
    assert "4.4.2 财务资源" in error.message_zh and "21" in error.message_zh
    validate_scores(RUBRIC, all_at(45))


@pytest.mark.req("R13.1")
def test_a_partial_self_assessment_is_still_checked_item_by_item() -> None:
    refused("SCORE_OFF_STEP", {"4.1.1": 37}, complete=False)
    refused("SCORE_OFF_BAND", {"4.1.1": 110}, complete=False)
    refused("SCORE_UNKNOWN_ITEM", {"5.1": 50}, complete=False)
    validate_scores(RUBRIC, {}, complete=False)


@pytest.mark.req("R13.1")
@given(st.dictionaries(st.sampled_from(RUBRIC.item_codes), st.integers(min_value=-20, max_value=120)))
def test_property_partial_scores_accepted_iff_every_value_is_on_the_step_in_range(
    scores: dict[str, int],
) -> None:
    ok = all(0 <= pct <= 100 and pct % 5 == 0 for pct in scores.values())
    try:
        validate_scores(RUBRIC, scores, complete=False)
    except DomainError as e:
        assert not ok
        assert e.code in {"SCORE_OFF_STEP", "SCORE_OFF_BAND"}
    else:
        assert ok


# --------------------------------------------------------------------------- spread across experts


@pytest.mark.req("R4.1")
def test_item_spread_and_wide_spread_items_across_experts() -> None:
    a = all_at(50)
    b = all_at(50) | {"4.1.1": 70, "4.7.1": 30}
    c = all_at(50) | {"4.1.1": 40, "4.4.2": 65}
    spread = item_spread([a, b, c])
    assert spread["4.1.1"] == 30 and spread["4.7.1"] == 20 and spread["4.4.2"] == 15 and spread["4.2.1"] == 0
    assert list(spread) == list(RUBRIC.item_codes)
    assert wide_spread_items([a, b, c], 20) == ["4.1.1"]  # strictly greater than the tolerance
    assert wide_spread_items([a, b, c], 15) == ["4.1.1", "4.7.1"]
    assert wide_spread_items([a, b, c], 30) == []
    assert item_spread([score_sheet(RUBRIC, a), score_sheet(RUBRIC, b)])["4.7.1"] == 20
    assert item_spread([]) == {}
    with pytest.raises(ValueError):
        wide_spread_items([a], -1)


@pytest.mark.req("R4.1")
def test_spread_orders_codes_numerically() -> None:
    assert list(item_spread([{"4.10.1": 5, "4.2.1": 10, "4.1.10": 0, "4.1.2": 0}])) == [
        "4.1.2",
        "4.1.10",
        "4.2.1",
        "4.10.1",
    ]


# --------------------------------------------------------------------------- editions as data (R4.2)


@pytest.mark.req("R4.2")
def test_known_editions_come_from_the_rubric_files_with_2012_first() -> None:
    assert available_editions()[0] == EDITION
    assert KNOWN_CRITERIA_EDITIONS == available_editions()
    assert isinstance(KNOWN_CRITERIA_EDITIONS, tuple)
    assert load_rubric(EDITION) is RUBRIC  # cached


@pytest.mark.req("R4.2")
def test_unknown_edition_is_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(DomainError) as info:
        load_rubric("GB/T 19580-2099")
    assert info.value.code == "RUBRIC_UNKNOWN_EDITION"
    assert info.value.status == 422
    assert EDITION in info.value.message_zh and EDITION in info.value.message_en
    assert "GB/T 19580-2099" in info.value.message_zh
    assert info.value.details["known"] == list(available_editions())


@pytest.mark.req("R4.2")
def test_a_new_edition_needs_only_a_json_file(tmp_path: Path) -> None:
    write(tmp_path, "gbt-19580-2012.json", edition_data())
    new = edition_data(edition="GB/T 19580-2030", effective="2030-01-01", step=10)
    new["categories"][0]["items"][0]["name_zh"] = "领导作用"
    for bands in new["bands"].values():  # a coarser scale: 0 %, 10–20 %, 30–40 %, ..., 90–100 %
        for band in bands:
            band["low"], band["high"] = -(-band["low"] // 10) * 10, band["high"] // 10 * 10
    write(tmp_path, "gbt-19580-2030.json", new)
    (tmp_path / "README.txt").write_text("not a rubric", encoding="utf-8")

    assert available_editions(tmp_path) == (EDITION, "GB/T 19580-2030")
    assert available_editions(str(tmp_path)) == (EDITION, "GB/T 19580-2030")
    rubric = load_rubric("GB/T 19580-2030", directory=tmp_path)
    assert isinstance(rubric, Rubric)
    assert rubric.item("4.1.1").name_zh == "领导作用"
    assert rubric.step == 10
    assert score_sheet(rubric, dict.fromkeys(rubric.item_codes, 100)).total == 1000
    with pytest.raises(DomainError) as info:
        validate_scores(rubric, dict.fromkeys(rubric.item_codes, 5))
    assert info.value.code == "SCORE_OFF_STEP" and "10%" in info.value.message_zh
    # The bundled registry is untouched.
    assert available_editions() == KNOWN_CRITERIA_EDITIONS
    with pytest.raises(DomainError):
        load_rubric("GB/T 19580-2030")


@pytest.mark.req("R4.2")
def test_editions_are_ordered_by_effective_date_not_by_file_name(tmp_path: Path) -> None:
    write(tmp_path, "a-new.json", edition_data(edition="GB/T 19580-2030", effective="2030-01-01"))
    write(tmp_path, "z-old.json", edition_data())
    assert available_editions(tmp_path) == (EDITION, "GB/T 19580-2030")


def corrupt_cases() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    data = edition_data()
    data["categories"][0]["items"][0]["max_points"] = 45  # 4.1 items add up to 105
    cases.append(("items of 4.1 add up to 105", data))
    data = edition_data()
    data["categories"][0]["max_points"] = 105
    data["categories"][0]["items"][0]["max_points"] = 45  # consistent category, total 995
    cases.append(("categories add up to 995", data))
    data = edition_data()
    data["categories"][1]["items"][0]["code"] = "4.9.1"
    cases.append(("does not belong", data))
    data = edition_data()
    data["categories"][0]["items"][0]["kind"] = "OTHER"
    cases.append(("OTHER", data))
    data = edition_data()
    data["bands"]["PROCESS"][1]["low"] = 5
    cases.append(("overlaps", data))
    data = edition_data()
    del data["bands"]["RESULT"]
    cases.append(("no scoring bands for RESULT", data))
    data = edition_data(step=7)
    cases.append(("must divide 100", data))
    data = edition_data(title=None)
    cases.append(("'title' must be str", data))
    data = edition_data(schema=2)
    cases.append(("unsupported schema", data))
    return cases


@pytest.mark.req("R4.1")
@pytest.mark.parametrize(("message", "data"), corrupt_cases(), ids=[m for m, _ in corrupt_cases()])
def test_a_corrupt_rubric_file_is_rejected_on_load(
    tmp_path: Path, message: str, data: dict[str, Any]
) -> None:
    write(tmp_path, "broken.json", data)
    with pytest.raises(ValueError, match=message):
        load_rubric(EDITION, directory=tmp_path)


@pytest.mark.req("R4.2")
def test_two_files_for_one_edition_and_invalid_json_are_rejected(tmp_path: Path) -> None:
    write(tmp_path / "dup", "a.json", edition_data())
    write(tmp_path / "dup", "b.json", edition_data())
    with pytest.raises(ValueError, match="both define"):
        available_editions(tmp_path / "dup")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="x.json"):
        available_editions(tmp_path / "bad")
