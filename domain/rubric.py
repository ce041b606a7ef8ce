"""The GB/T 19580 scoring rubric as versioned data, and the pure scoring rules (R4.1, R4.2, R13.1).

The rubric — categories (类目), items (评分项) and their points, the GB/Z 19579 scoring bands
(评分指南) and the score step — is data, not code: one JSON file per criteria edition in
``domain/rubrics/`` (shipped as package data: pyproject ``[tool.setuptools.package-data]``
``domain = ["rubrics/*.json"]``).

Registry. The editions are the ``*.json`` files present in that directory, keyed by each file's
``"edition"`` field (the file name is free; by convention ``gbt-19580-2012.json``). **Adding an
edition needs only a new JSON file** — no code change. Editions are ordered by their
``"effective"`` date, then by name, so the oldest (GB/T 19580-2012, the default of
``CycleRules.criteria_edition``) stays first and newer editions append.

Caching and determinism. The bundled files are read and checked once, when this module is
imported, so afterwards ``load_rubric`` and ``available_editions`` are dictionary look-ups: no
I/O at run time (workflows import domain/ outside the Temporal sandbox). A corrupt bundled file
fails the import with ValueError. Tests and tools may pass ``directory=`` to read another
directory instead; that is read on every call, not cached.

File format (schema 1, UTF-8)::

    {"schema": 1, "edition": "GB/T 19580-2012", "title": "《卓越绩效评价准则》",
     "standards": [{"number": "GB/T 19580-2012", "title": "..."}, ...],
     "published": "2012-03-09", "effective": "2012-08-01", "total_points": 1000, "step": 5,
     "categories": [{"code": "4.1", "name_zh": "领导", "name_en": "...", "max_points": 110,
                     "items": [{"code": "4.1.1", "name_zh": "...", "name_en": "...",
                                "max_points": 50, "kind": "PROCESS"}, ...]}, ...],
     "bands": {"PROCESS": [{"low": 0, "high": 5, "summary_zh": "...",
                            "criteria_zh": {"方法": "...", ...}}, ...],
               "RESULT": [...]}}

Checked on load (ValueError otherwise): item points add up to their category, categories add up
to ``total_points`` = 1000, codes are unique and nested, the step divides 100, bands lie in
0..100 on the step, do not overlap, and exist for every kind of item used.

Scores are per item, an integer percentage (得分率) on the step; points are always derived
(max_points × percent / 100, exact Decimal), never typed in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from domain.errors import DomainError, invalid

SCHEMA = 1
TOTAL_POINTS = 1000

Directory = Traversable | str | os.PathLike[str]
T = TypeVar("T")


class ItemKind(StrEnum):
    PROCESS = "PROCESS"  # 过程评分项（4.1–4.6）：方法-展开-学习-整合
    RESULT = "RESULT"  # 结果评分项（4.7）：水平-趋势-对比-整合

    @property
    def name_zh(self) -> str:
        return {"PROCESS": "过程", "RESULT": "结果"}[self.value]

    @property
    def name_en(self) -> str:
        return {"PROCESS": "process", "RESULT": "result"}[self.value]


@dataclass(frozen=True)
class Band:
    """One GB/Z 19579 scoring band (评分档) of an item kind, e.g. PROCESS 30 %–45 %."""

    kind: ItemKind
    low: int
    high: int
    summary_zh: str
    # (dimension, description) pairs, e.g. ("方法", "有系统的、有效的方法应对评分项的基本要求").
    criteria_zh: tuple[tuple[str, str], ...] = ()

    def contains(self, pct: int) -> bool:
        return self.low <= pct <= self.high

    @property
    def label(self) -> str:
        return f"{self.low}%–{self.high}%"


@dataclass(frozen=True)
class RubricItem:
    code: str
    category: str
    name_zh: str
    max_points: int
    kind: ItemKind
    name_en: str = ""

    @property
    def label_zh(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def label_en(self) -> str:
        return f"{self.code} {self.name_en or self.name_zh}"


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    max_points: int
    items: tuple[RubricItem, ...]
    name_en: str = ""


@dataclass(frozen=True)
class Rubric:
    """One criteria edition. Constructing it checks the invariants (ValueError if broken)."""

    edition: str
    title: str
    categories: tuple[Category, ...]
    items: tuple[RubricItem, ...]
    bands: tuple[Band, ...]
    step: int
    total_points: int = TOTAL_POINTS
    standards: tuple[str, ...] = ()
    published: date | None = None
    effective: date | None = None
    _index: dict[str, RubricItem] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _check_rubric(self)
        object.__setattr__(self, "_index", {item.code: item for item in self.items})

    def __contains__(self, code: object) -> bool:
        return code in self._index

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def item(self, code: str) -> RubricItem:
        """The item with this code; DomainError SCORE_UNKNOWN_ITEM if the edition has none."""
        try:
            return self._index[code]
        except KeyError:
            raise _unknown_items(self, [code]) from None

    def category(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)

    def bands_for(self, kind: ItemKind) -> tuple[Band, ...]:
        return tuple(band for band in self.bands if band.kind is kind)


@dataclass(frozen=True)
class ScoreSheet:
    """One complete set of item scores with the derived points (R4.1)."""

    edition: str
    percent: dict[str, int]
    items: dict[str, Decimal]
    categories: dict[str, Decimal]
    total: Decimal


# --------------------------------------------------------------------------- registry


def available_editions(directory: Directory | None = None) -> tuple[str, ...]:
    """The known criteria editions, oldest first (the bundled ones unless `directory` is given)."""
    return tuple(_registry(directory))


def load_rubric(edition: str, directory: Directory | None = None) -> Rubric:
    """The rubric of `edition`; DomainError RUBRIC_UNKNOWN_EDITION (422) if there is none."""
    registry = _registry(directory)
    try:
        return registry[edition]
    except KeyError:
        known = list(registry)
        raise invalid(
            "RUBRIC_UNKNOWN_EDITION",
            f"未知的评价准则版本：{edition}；可用：{'、'.join(known) or '无'}",
            f"Unknown criteria edition {edition!r}; known: {', '.join(known) or 'none'}",
            edition=edition,
            known=known,
        ) from None


def _registry(directory: Directory | None) -> dict[str, Rubric]:
    if directory is None:
        return _BUNDLED
    if isinstance(directory, str | os.PathLike):
        return _load_directory(Path(directory))
    return _load_directory(directory)


def _load_directory(directory: Traversable) -> dict[str, Rubric]:
    rubrics: list[Rubric] = []
    sources: dict[str, str] = {}
    for entry in sorted(directory.iterdir(), key=lambda e: e.name):
        if not (entry.name.endswith(".json") and entry.is_file()):
            continue
        try:
            rubric = _parse(json.loads(entry.read_text(encoding="utf-8")))
        except ValueError as e:
            raise ValueError(f"rubric file {entry.name}: {e}") from e
        if rubric.edition in sources:
            raise ValueError(
                f"rubric files {sources[rubric.edition]} and {entry.name} both define {rubric.edition!r}"
            )
        sources[rubric.edition] = entry.name
        rubrics.append(rubric)
    rubrics.sort(key=lambda r: (r.effective or date.min, r.edition))
    return {r.edition: r for r in rubrics}


def _parse(data: Any) -> Rubric:
    if _get(data, "schema", int, "file") != SCHEMA:
        raise ValueError(f"unsupported schema {data.get('schema')!r}; expected {SCHEMA}")
    categories: list[Category] = []
    for raw_cat in _get(data, "categories", list, "file"):
        code = _get(raw_cat, "code", str, "category")
        where = f"category {code}"
        items = tuple(
            RubricItem(
                code=_get(raw_item, "code", str, where),
                category=code,
                name_zh=_get(raw_item, "name_zh", str, where),
                max_points=_get(raw_item, "max_points", int, where),
                kind=ItemKind(_get(raw_item, "kind", str, where)),
                name_en=_opt(raw_item, "name_en", str, "", where),
            )
            for raw_item in _get(raw_cat, "items", list, where)
        )
        categories.append(
            Category(
                code=code,
                name_zh=_get(raw_cat, "name_zh", str, where),
                max_points=_get(raw_cat, "max_points", int, where),
                items=items,
                name_en=_opt(raw_cat, "name_en", str, "", where),
            )
        )
    bands: list[Band] = []
    for kind_name, raw_bands in _get(data, "bands", dict, "file").items():
        kind = ItemKind(kind_name)
        if not isinstance(raw_bands, list):
            raise ValueError(f"bands of {kind_name} must be a list")
        for raw in raw_bands:
            where = f"{kind_name} band"
            criteria = _opt(raw, "criteria_zh", dict, {}, where)
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in criteria.items()):
                raise ValueError(f"{where}: 'criteria_zh' must map text to text")
            bands.append(
                Band(
                    kind=kind,
                    low=_get(raw, "low", int, where),
                    high=_get(raw, "high", int, where),
                    summary_zh=_get(raw, "summary_zh", str, where),
                    criteria_zh=tuple(criteria.items()),
                )
            )
    standards = tuple(_get(s, "number", str, "standard") for s in _opt(data, "standards", list, [], "file"))
    published = _opt(data, "published", str, "", "file")
    effective = _opt(data, "effective", str, "", "file")
    return Rubric(
        edition=_get(data, "edition", str, "file"),
        title=_get(data, "title", str, "file"),
        categories=tuple(categories),
        items=tuple(item for category in categories for item in category.items),
        bands=tuple(bands),
        step=_get(data, "step", int, "file"),
        total_points=_get(data, "total_points", int, "file"),
        standards=standards,
        published=date.fromisoformat(published) if published else None,
        effective=date.fromisoformat(effective) if effective else None,
    )


def _get(obj: Any, key: str, typ: type[T], where: str) -> T:
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected an object, got {obj!r}")
    value = obj.get(key)
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise ValueError(f"{where}: {key!r} must be {typ.__name__}, got {value!r}")
    return value


def _opt(obj: Any, key: str, typ: type[T], default: T, where: str) -> T:
    if isinstance(obj, dict) and key not in obj:
        return default
    return _get(obj, key, typ, where)


def _check_rubric(r: Rubric) -> None:
    if not r.edition:
        raise ValueError("the edition needs a name")
    if not 0 < r.step <= 100 or 100 % r.step:
        raise ValueError(f"{r.edition}: the step {r.step} must divide 100")
    if r.total_points != TOTAL_POINTS:
        raise ValueError(f"{r.edition}: total_points is {r.total_points}, expected {TOTAL_POINTS}")
    if r.items != tuple(item for category in r.categories for item in category.items):
        raise ValueError(f"{r.edition}: items must be the categories' items in order")
    _unique(r.edition, "category", [c.code for c in r.categories])
    _unique(r.edition, "item", [i.code for i in r.items])
    for category in r.categories:
        if not category.items:
            raise ValueError(f"{r.edition}: category {category.code} has no items")
        for item in category.items:
            if item.category != category.code or not item.code.startswith(category.code + "."):
                raise ValueError(f"{r.edition}: item {item.code} does not belong to category {category.code}")
            if item.max_points <= 0:
                raise ValueError(f"{r.edition}: item {item.code} must carry points, got {item.max_points}")
        subtotal = sum(item.max_points for item in category.items)
        if subtotal != category.max_points:
            raise ValueError(
                f"{r.edition}: the items of {category.code} add up to {subtotal}, "
                f"but the category has {category.max_points}"
            )
    total = sum(category.max_points for category in r.categories)
    if total != r.total_points:
        raise ValueError(f"{r.edition}: the categories add up to {total}, expected {r.total_points}")
    for kind in ItemKind:
        bands = sorted(r.bands_for(kind), key=lambda b: b.low)
        if not bands:
            if any(item.kind is kind for item in r.items):
                raise ValueError(f"{r.edition}: no scoring bands for {kind.value} items")
            continue
        previous_high = -1
        for band in bands:
            if not 0 <= band.low <= band.high <= 100 or band.low % r.step or band.high % r.step:
                raise ValueError(
                    f"{r.edition}: {kind.value} band {band.label} must lie in 0..100 on the step"
                )
            if band.low <= previous_high:
                raise ValueError(f"{r.edition}: {kind.value} band {band.label} overlaps the previous band")
            previous_high = band.high


def _unique(edition: str, what: str, codes: list[str]) -> None:
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"{edition}: duplicate {what} codes {duplicates}")


# --------------------------------------------------------------------------- scoring


def band_of(rubric: Rubric, item_code: str, pct: int) -> Band:
    """The scoring band of the item's kind that `pct` falls in (SCORE_UNKNOWN_ITEM/SCORE_OFF_BAND)."""
    item = rubric.item(item_code)
    for band in rubric.bands_for(item.kind):
        if band.contains(pct):
            return band
    raise _off_band(rubric, item, pct)


def validate_scores(rubric: Rubric, scores: Mapping[str, int], *, complete: bool = True) -> None:
    """Raise DomainError (422) unless every score is a known item with a percentage on the step
    inside a band of the item's kind, and — if `complete` — every item of the rubric is scored.

    Codes: SCORE_UNKNOWN_ITEM, SCORE_OFF_BAND, SCORE_OFF_STEP, SCORE_MISSING_ITEM (checked in that
    order; within one check the first item in rubric order is reported).
    """
    unknown = [code for code in scores if code not in rubric]
    if unknown:
        raise _unknown_items(rubric, unknown)
    for item in rubric.items:
        if item.code in scores:
            _check_percent(rubric, item, scores[item.code])
    if complete:
        missing = [item for item in rubric.items if item.code not in scores]
        if missing:
            raise invalid(
                "SCORE_MISSING_ITEM",
                f"缺少{len(missing)}个评分项的得分：{'、'.join(i.label_zh for i in missing)}",
                f"{len(missing)} item(s) not scored: {'; '.join(i.label_en for i in missing)}",
                edition=rubric.edition,
                items=[i.code for i in missing],
            )


def item_points(item: RubricItem, pct: int) -> Decimal:
    """Points of an item scored at `pct` percent: max_points × pct / 100, exact (15 × 35 % = 5.25)."""
    return Decimal(item.max_points * pct).scaleb(-2)


def score_sheet(rubric: Rubric, scores: Mapping[str, int]) -> ScoreSheet:
    """Validate a complete set of item percentages and derive item, category and total points."""
    validate_scores(rubric, scores, complete=True)
    percent = {item.code: scores[item.code] for item in rubric.items}
    items = {item.code: item_points(item, percent[item.code]) for item in rubric.items}
    categories = {
        category.code: sum((items[item.code] for item in category.items), Decimal(0))
        for category in rubric.categories
    }
    return ScoreSheet(
        edition=rubric.edition,
        percent=percent,
        items=items,
        categories=categories,
        total=sum(categories.values(), Decimal(0)),
    )


def item_spread(sheets_or_scores: Sequence[Mapping[str, int] | ScoreSheet]) -> dict[str, int]:
    """Per item, the highest minus the lowest percentage given across experts.

    An item scored by only one expert has spread 0; items nobody scored are absent. Keys are in
    code order (4.1.1, 4.1.2, …, 4.7.6).
    """
    lows: dict[str, int] = {}
    highs: dict[str, int] = {}
    for entry in sheets_or_scores:
        scores = entry.percent if isinstance(entry, ScoreSheet) else entry
        for code, pct in scores.items():
            lows[code] = min(pct, lows.get(code, pct))
            highs[code] = max(pct, highs.get(code, pct))
    return {code: highs[code] - lows[code] for code in sorted(lows, key=_code_key)}


def wide_spread_items(scores_list: Sequence[Mapping[str, int] | ScoreSheet], tolerance: int) -> list[str]:
    """The items whose spread across experts is strictly greater than `tolerance` (percentage points)."""
    if tolerance < 0:
        raise ValueError(f"tolerance must not be negative, got {tolerance}")
    return [code for code, spread in item_spread(scores_list).items() if spread > tolerance]


def _check_percent(rubric: Rubric, item: RubricItem, pct: object) -> None:
    if not isinstance(pct, int) or isinstance(pct, bool):
        raise invalid(
            "SCORE_OFF_STEP",
            f"{item.label_zh}：得分率须为整数且为{rubric.step}%的整数倍，收到{pct!r}",
            f"{item.label_en}: the score must be a whole percentage, a multiple of {rubric.step} %; got {pct!r}",
            item=item.code,
            percent=repr(pct),
            step=rubric.step,
        )
    if not 0 <= pct <= 100:
        raise invalid(
            "SCORE_OFF_BAND",
            f"{item.label_zh}：得分率须在0%至100%之间，收到{pct}%",
            f"{item.label_en}: the score must be between 0 % and 100 %; got {pct} %",
            item=item.code,
            percent=pct,
        )
    if pct % rubric.step:
        raise invalid(
            "SCORE_OFF_STEP",
            f"{item.label_zh}：得分率须为{rubric.step}%的整数倍，收到{pct}%",
            f"{item.label_en}: the score must be a multiple of {rubric.step} %; got {pct} %",
            item=item.code,
            percent=pct,
            step=rubric.step,
        )
    band_of(rubric, item.code, pct)


def _off_band(rubric: Rubric, item: RubricItem, pct: int) -> DomainError:
    labels = [band.label for band in rubric.bands_for(item.kind)]
    return invalid(
        "SCORE_OFF_BAND",
        f"{item.label_zh}：得分率{pct}%不在{item.kind.name_zh}评分项的任何评分档内（{'、'.join(labels)}）",
        f"{item.label_en}: {pct} % is in no scoring band of {item.kind.name_en} items ({', '.join(labels)})",
        item=item.code,
        percent=pct,
        bands=labels,
    )


def _unknown_items(rubric: Rubric, codes: list[str]) -> DomainError:
    codes = sorted(codes, key=_code_key)
    first, last = rubric.items[0].code, rubric.items[-1].code
    return invalid(
        "SCORE_UNKNOWN_ITEM",
        f"{rubric.edition}中没有评分项{'、'.join(codes)}；评分项为{first}至{last}",
        f"{rubric.edition} has no item {', '.join(codes)}; the items are {first} to {last}",
        edition=rubric.edition,
        items=codes,
    )


def _code_key(code: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in code.split("."))


def _bundled() -> dict[str, Rubric]:
    registry = _load_directory(files("domain").joinpath("rubrics"))
    if not registry:
        raise ValueError("no rubric files in domain/rubrics")
    return registry


_BUNDLED: dict[str, Rubric] = _bundled()
