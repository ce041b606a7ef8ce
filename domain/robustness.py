"""How robust the ranking at the quota cut-off is to the way expert scores are aggregated — for
the committee's information only, never a decision rule (Art. 14(4): the committee decides by
secret ballot; R14.6 orders the preliminary list by votes, then final score).

Basis: the document review (资料评审, R14.2) is the stage where every expert of a panel scores each
application independently. Per award, the candidates before the committee are ranked

- OFFICIAL: by the panel's consolidated document score (组长负责制, Art. 9), the score of record;
- MEDIAN: by the median of the panel members' totals;
- TRIMMED_MEAN: by the 20 % trimmed mean of those totals (⌊n/5⌋ dropped at each end: for panels
  of 3 or 4 nothing is dropped, which is the plain mean);
- Z_SCORE: by the mean of the members' z-normalised totals, each expert's totals standardised
  over every application that expert scored in the cycle's document review (population standard
  deviation; an expert who scored one application, or gave all the same total, contributes 0).
  This removes a lenient or a harsh expert's offset and spread.

Ranks are competition ranks (1 + how many score strictly higher; equal scores share a rank). A
candidate is inside the cut-off under a method when its rank is at most the award's seats
(min(quota, 5)). A candidate is flagged when it is inside under OFFICIAL and outside under any
other method, or the other way round.

Arithmetic is exact (Fraction) up to the one square root of the z-normalisation, taken of an exact
variance with a fixed Decimal precision: the same inputs give the same ranks everywhere, and a
uniform shift of one expert's totals leaves every z-score bit for bit the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal
from enum import StrEnum
from fractions import Fraction

from domain.types import Award

TRIM = Fraction(1, 5)  # dropped at each end of a panel's totals
SQRT = Context(prec=34)  # the precision of the one square root
SHOWN = Decimal("0.01")  # places of a score as the report shows it (z-scores: 0.001)

Number = Fraction | Decimal


class Method(StrEnum):
    OFFICIAL = "OFFICIAL"
    MEDIAN = "MEDIAN"
    TRIMMED_MEAN = "TRIMMED_MEAN"
    Z_SCORE = "Z_SCORE"

    @property
    def name_zh(self) -> str:
        return {
            "OFFICIAL": "评审组意见得分（正式）",
            "MEDIAN": "专家评分中位数",
            "TRIMMED_MEAN": "专家评分截尾平均",
            "Z_SCORE": "专家评分标准化（z分数）",
        }[self.value]


ALTERNATIVES = (Method.MEDIAN, Method.TRIMMED_MEAN, Method.Z_SCORE)


@dataclass(frozen=True)
class CandidateScores:
    application_id: str
    award: Award
    enterprise_name: str
    official: Decimal  # the consolidated document review score
    members: Mapping[int, Decimal] = field(default_factory=dict)  # expert id -> that expert's total


@dataclass(frozen=True)
class RankedCandidate:
    application_id: str
    enterprise_name: str
    scores: dict[Method, str]  # as shown ("" where a method has nothing to go on)
    ranks: dict[Method, int]
    inside: dict[Method, bool]
    flagged: bool
    changed_under: tuple[Method, ...]  # the methods under which its side of the cut-off differs


@dataclass(frozen=True)
class AwardRobustness:
    award: Award
    seats: int
    candidates: tuple[RankedCandidate, ...]  # in official order (then by application id)

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(c.application_id for c in self.candidates if c.flagged)


# --- aggregations ---------------------------------------------------------------------------------
def median(values: Sequence[Number]) -> Fraction:
    xs = sorted(Fraction(v) for v in values)
    if not xs:
        raise ValueError("median of no values")
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def trimmed_mean(values: Sequence[Number], proportion: Fraction = TRIM) -> Fraction:
    xs = sorted(Fraction(v) for v in values)
    if not xs:
        raise ValueError("trimmed mean of no values")
    k = int(len(xs) * proportion)
    kept = xs[k : len(xs) - k]
    return sum(kept, Fraction(0)) / len(kept)


def z_scores(by_expert: Mapping[int, Mapping[str, Number]]) -> dict[int, dict[str, Decimal]]:
    """Each expert's totals standardised over all the applications that expert scored."""
    out: dict[int, dict[str, Decimal]] = {}
    for expert, totals in by_expert.items():
        xs = {a: Fraction(v) for a, v in totals.items()}
        n = len(xs)
        mean = sum(xs.values(), Fraction(0)) / n if n else Fraction(0)
        var = sum(((x - mean) ** 2 for x in xs.values()), Fraction(0)) / n if n else Fraction(0)
        if var == 0:
            out[expert] = dict.fromkeys(xs, Decimal(0))
            continue
        sd = SQRT.sqrt(SQRT.divide(Decimal(var.numerator), Decimal(var.denominator)))
        out[expert] = {
            a: SQRT.divide(SQRT.divide(Decimal((x - mean).numerator), Decimal((x - mean).denominator)), sd)
            for a, x in xs.items()
        }
    return out


def competition_ranks(scores: Mapping[str, Number]) -> dict[str, int]:
    """1 + how many score strictly higher: equal scores share a rank."""
    values = list(scores.values())
    return {a: 1 + sum(1 for o in values if o > v) for a, v in scores.items()}


# --- the table ------------------------------------------------------------------------------------
def _shown(v: Number, places: Decimal = SHOWN) -> str:
    d = Decimal(v.numerator) / Decimal(v.denominator) if isinstance(v, Fraction) else v
    return str(d.quantize(places))


def _method_scores(
    group: Sequence[CandidateScores], z: Mapping[int, Mapping[str, Decimal]]
) -> dict[Method, dict[str, Number]]:
    by: dict[Method, dict[str, Number]] = {m: {} for m in Method}
    for c in group:
        by[Method.OFFICIAL][c.application_id] = c.official
        totals = list(c.members.values())
        if not totals:
            continue  # no individual score recorded: compared under the official method only
        by[Method.MEDIAN][c.application_id] = median(totals)
        by[Method.TRIMMED_MEAN][c.application_id] = trimmed_mean(totals)
        zs = [z[e][c.application_id] for e in c.members if c.application_id in z.get(e, {})]
        by[Method.Z_SCORE][c.application_id] = SQRT.divide(sum(zs, Decimal(0)), Decimal(len(zs)))
    return by


def rank_award(
    award: Award,
    candidates: Iterable[CandidateScores],
    seats: int,
    by_expert: Mapping[int, Mapping[str, Number]],
) -> AwardRobustness:
    """The robustness table of one award (see the module docstring). `by_expert` holds every
    document review total of the cycle per expert (the basis of the z-normalisation)."""
    group = sorted((c for c in candidates if c.award is award), key=lambda c: c.application_id)
    z = z_scores(by_expert)
    by = _method_scores(group, z)
    ranks = {m: competition_ranks(by[m]) for m in Method}
    rows = []
    for c in group:
        a = c.application_id
        inside = {m: ranks[m][a] <= seats for m in Method if a in ranks[m]}
        changed = tuple(m for m in ALTERNATIVES if m in inside and inside[m] != inside[Method.OFFICIAL])
        rows.append(
            RankedCandidate(
                a,
                c.enterprise_name,
                {
                    m: (
                        _shown(by[m][a], Decimal("0.001") if m is Method.Z_SCORE else SHOWN)
                        if a in by[m]
                        else ""
                    )
                    for m in Method
                },
                {m: ranks[m][a] for m in Method if a in ranks[m]},
                inside,
                bool(changed),
                changed,
            )
        )
    rows.sort(key=lambda r: (r.ranks[Method.OFFICIAL], r.application_id))
    return AwardRobustness(award, seats, tuple(rows))


def ranking_robustness(
    candidates: Sequence[CandidateScores],
    seats: Mapping[Award, int],
    by_expert: Mapping[int, Mapping[str, Number]],
) -> tuple[AwardRobustness, ...]:
    """The table of every award, in the order of the measures (质量奖, then 创新奖)."""
    return tuple(
        rank_award(award, candidates, seats[award], by_expert) for award in (Award.QUALITY, Award.INNOVATION)
    )


NOTE_ZH = (
    "本表仅供评委会参考，不是评定规则：依据办法第十四条第（四）项，是否列入初选名单由评委会以无记名投票表决决定。"
    "表中按资料评审阶段各专家独立评分，比较评审组意见得分（正式）与专家评分中位数、截尾平均、标准化（z分数）"
    "等不同汇总方法下的排名；标注“△”的申报，其位于名额线以内或以外的位置随汇总方法而变化。"
)
NOTE_EN = (
    "For the committee's information only, not a decision rule: under Art. 14(4) the committee decides "
    "the preliminary list by secret ballot. Ranks from the document review's individual expert totals "
    "under the official panel score, the median, the trimmed mean and per-expert z-normalised scores; "
    "a flagged candidate's side of the quota cut-off depends on the aggregation."
)


def robustness_content(tables: Sequence[AwardRobustness]) -> dict[str, object]:
    """The tables as the work report records them."""
    return {
        "binding": False,
        "note_zh": NOTE_ZH,
        "note_en": NOTE_EN,
        "methods": {m.value: m.name_zh for m in Method},
        "awards": [
            {
                "award": t.award.value,
                "seats": t.seats,
                "flagged": list(t.flagged),
                "candidates": [
                    {
                        "application_id": r.application_id,
                        "enterprise_name": r.enterprise_name,
                        "scores": {m.value: v for m, v in r.scores.items()},
                        "ranks": {m.value: v for m, v in r.ranks.items()},
                        "inside_cutoff": {m.value: v for m, v in r.inside.items()},
                        "flagged": r.flagged,
                        "changed_under": [m.value for m in r.changed_under],
                    }
                    for r in t.candidates
                ],
            }
            for t in tables
        ],
    }


def robustness_lines(tables: Sequence[AwardRobustness]) -> list[str]:
    """The tables as lines of the report's text."""
    lines = ["附：排名稳健性参考（仅供参考，不作为评定依据）", NOTE_ZH]
    for t in tables:
        lines.append(f"【{t.award.name_zh}】名额{t.seats}家")
        if not t.candidates:
            lines.append("（无进入审查表决的申报）")
        for r in t.candidates:
            parts = [f"{m.name_zh}第{r.ranks[m]}名（{r.scores[m]}）" for m in Method if m in r.ranks]
            mark = "△" if r.flagged else ""
            tail = (
                "；在" + "、".join(m.name_zh for m in r.changed_under) + "下位于名额线另一侧"
                if r.flagged
                else ""
            )
            lines.append(f"{mark}{r.enterprise_name}（{r.application_id}）：" + "；".join(parts) + tail)
    return lines
