"""Vocabulary of the award: enums and small value types shared by every layer."""

from __future__ import annotations

from enum import StrEnum


class Award(StrEnum):
    QUALITY = "QUALITY"  # 区政府质量奖
    INNOVATION = "INNOVATION"  # 质量管理创新奖

    @property
    def name_zh(self) -> str:
        return {"QUALITY": "区政府质量奖", "INNOVATION": "质量管理创新奖"}[self.value]


class Field(StrEnum):
    """Art. 2: the three fields an applicant works in (R2.2)."""

    INDUSTRY = "INDUSTRY"  # 工业（含农产品加工业）
    CONSTRUCTION = "CONSTRUCTION"  # 工程建设
    SERVICES = "SERVICES"  # 服务提供

    @property
    def name_zh(self) -> str:
        return {"INDUSTRY": "工业（含农产品加工业）", "CONSTRUCTION": "工程建设", "SERVICES": "服务提供"}[
            self.value
        ]


class SectorTag(StrEnum):
    """Art. 5 sector tags (R5.1): encouraged (鼓励) and priority-supported (重点支持) groups."""

    # encouraged: 鼓励……积极申报
    ADVANCED_MANUFACTURING = "ADVANCED_MANUFACTURING"  # 先进制造业
    TRADITIONAL_ADVANTAGE = "TRADITIONAL_ADVANTAGE"  # 传统优势产业
    MODERN_AGRICULTURE = "MODERN_AGRICULTURE"  # 现代农业
    MODERN_SERVICES = "MODERN_SERVICES"  # 服务业
    ENERGY_SAVING_ENVIRONMENTAL = "ENERGY_SAVING_ENVIRONMENTAL"  # 节能环保产业
    NEW_MATERIALS_GREEN_BUILDING = "NEW_MATERIALS_GREEN_BUILDING"  # 新材料及绿色建筑产业
    LEADING_BACKBONE = "LEADING_BACKBONE"  # 龙头骨干企业
    HIGH_GROWTH_SME = "HIGH_GROWTH_SME"  # 成长性强的中小型企业
    PINZIBIAO_BRAND = "PINZIBIAO_BRAND"  # “品字标”品牌建设成效显著
    ZHEJIANG_EXPORT_BRAND = "ZHEJIANG_EXPORT_BRAND"  # 浙江出口名牌
    LISTED = "LISTED"  # 上市企业
    PRE_IPO = "PRE_IPO"  # 重点拟上市企业
    # priority-supported emerging industries: 重点支持
    DIGITAL_ECONOMY = "DIGITAL_ECONOMY"  # 数字经济
    INTELLIGENT_EQUIPMENT = "INTELLIGENT_EQUIPMENT"  # 智能装备
    LIFE_HEALTH = "LIFE_HEALTH"  # 生命健康
    NEW_ENERGY_VEHICLES = "NEW_ENERGY_VEHICLES"  # 新能源汽车
    NEW_MATERIALS = "NEW_MATERIALS"  # 新材料

    @property
    def priority(self) -> bool:
        return self in PRIORITY_SECTORS


PRIORITY_SECTORS = frozenset(
    {
        SectorTag.DIGITAL_ECONOMY,
        SectorTag.INTELLIGENT_EQUIPMENT,
        SectorTag.LIFE_HEALTH,
        SectorTag.NEW_ENERGY_VEHICLES,
        SectorTag.NEW_MATERIALS,
    }
)


class Role(StrEnum):
    ADMIN = "admin"  # 系统管理员: created by the CLI at install; manages office, committee and government accounts
    OFFICE = "office"  # 区评审办
    COMMITTEE = "committee"  # 区评委会成员
    EXPERT = "expert"  # 评审专家
    GOVERNMENT = "government"  # 区政府
    ENTERPRISE = "enterprise"  # 申报企业
    AUDITOR = (
        "auditor"  # 纪检: reads the audit log, its verification and the records of decisions; writes nothing
    )


class CycleStage(StrEnum):
    CALL_OPEN = "CALL_OPEN"  # call published, accepting applications
    QUALIFICATION_REVIEW = "QUALIFICATION_REVIEW"  # intake closed, applications in 资格审查
    DOCUMENT_REVIEW = "DOCUMENT_REVIEW"  # 资料评审: panels drawn by the office, experts score
    ONSITE_SELECTION = "ONSITE_SELECTION"  # every panel reported; the office fixes the on-site list
    ONSITE_REVIEW = "ONSITE_REVIEW"  # 现场评审: visits, reports, enterprises' confirmations
    AWAITING_COMMITTEE = "AWAITING_COMMITTEE"  # on-site review finished; waiting for 审查表决
    BALLOT = "BALLOT"  # 审查表决: the plenary votes by secret ballot
    RUNOFF = "RUNOFF"  # 决选投票: a tie across a cut-off is settled among the tied (or seats left vacant)
    PUBLIC_NOTICE = "PUBLIC_NOTICE"  # 初选公示: 7 days, objections investigated
    FINAL_LIST = "FINAL_LIST"  # the committee fixes the proposed list
    GOVERNMENT_APPROVAL = "GOVERNMENT_APPROVAL"  # 审定批准 by the district government
    # 补充公示: after a return, 7 days for candidates added to the list, objections investigated
    SUPPLEMENTARY_NOTICE = "SUPPLEMENTARY_NOTICE"
    PUBLICATION = "PUBLICATION"  # 公布、颁证: announcement, certificates, every candidate told its result
    COMPLETED = "COMPLETED"  # published, certificates issued


class ApplicationStage(StrEnum):
    SUBMITTED = "SUBMITTED"  # waiting for the call to close
    QUALIFICATION_CHECK = "QUALIFICATION_CHECK"  # automatic Art. 11 / Art. 17 checks
    QUALIFICATION_DECISION = "QUALIFICATION_DECISION"  # waiting for the office's decision
    NOT_QUALIFIED = "NOT_QUALIFIED"  # final: feedback notice sent
    AWAITING_DOCUMENT_REVIEW = "AWAITING_DOCUMENT_REVIEW"  # qualified, waiting for its panel
    DOCUMENT_REVIEW = "DOCUMENT_REVIEW"  # experts score, then the leader's opinion
    AWAITING_ONSITE_LIST = "AWAITING_ONSITE_LIST"  # document review done; the office fixes the list
    NOT_SHORTLISTED = "NOT_SHORTLISTED"  # final: not listed for on-site review, feedback sent
    AWAITING_ONSITE = "AWAITING_ONSITE"  # listed; waiting for its on-site panel and visit
    ONSITE_REVIEW = "ONSITE_REVIEW"  # visit; the leader writes the on-site report
    ONSITE_CONFIRMATION = "ONSITE_CONFIRMATION"  # the enterprise confirms or disputes the report
    ONSITE_DISPUTED = "ONSITE_DISPUTED"  # the office settles the enterprise's dispute
    AWAITING_COMMITTEE = "AWAITING_COMMITTEE"  # on-site review confirmed; waiting for 审查表决
    AWARDED = "AWARDED"  # final: approved, certificate issued
    NOT_AWARDED = "NOT_AWARDED"  # final: not on the approved list


class Outcome(StrEnum):
    PENDING = "PENDING"
    NOT_QUALIFIED = "NOT_QUALIFIED"
    QUALIFIED = "QUALIFIED"
    NOT_SHORTLISTED = "NOT_SHORTLISTED"
    SHORTLISTED = "SHORTLISTED"
    AWARDED = "AWARDED"
    NOT_AWARDED = "NOT_AWARDED"


class DocumentKind(StrEnum):
    """R13.1: what an application holds."""

    SELF_ASSESSMENT_REPORT = "SELF_ASSESSMENT_REPORT"  # 自我评价报告
    APPLICATION_FORM = "APPLICATION_FORM"  # 申报表
    EVIDENCE = "EVIDENCE"  # 证明材料


class NoticeKind(StrEnum):
    CALL_FOR_APPLICATIONS = "CALL_FOR_APPLICATIONS"  # 申报通知 (public)
    DEADLINE_EXTENDED = "DEADLINE_EXTENDED"  # 延期通知 (public)
    QUALIFICATION_FEEDBACK = "QUALIFICATION_FEEDBACK"  # 资格审查反馈 (to the enterprise)
    QUALIFICATION_PASSED = "QUALIFICATION_PASSED"  # 资格审查通过告知 (to the enterprise)
    QUALIFICATION_REMINDER = "QUALIFICATION_REMINDER"  # 资格审查到期提醒 (to the office)
    QUALIFICATION_OVERDUE = "QUALIFICATION_OVERDUE"  # 资格审查逾期 (to the office)
    REVIEW_ASSIGNMENT = "REVIEW_ASSIGNMENT"  # 评审任务通知 (to an expert)
    REVIEW_REMINDER = "REVIEW_REMINDER"  # 评审提醒 (to an expert)
    REVIEW_OVERDUE = "REVIEW_OVERDUE"  # 逾期未评告知 (to the office)
    DOCUMENT_REVIEW_FEEDBACK = "DOCUMENT_REVIEW_FEEDBACK"  # 资料评审反馈 (to the enterprise, R14.4)
    ONSITE_NOTICE = "ONSITE_NOTICE"  # 现场评审通知 (to the enterprise)
    ONSITE_REPORT = "ONSITE_REPORT"  # 现场评审报告确认通知 (to the enterprise)
    ONSITE_CONFIRMATION_REMINDER = "ONSITE_CONFIRMATION_REMINDER"
    ONSITE_DISPUTE = "ONSITE_DISPUTE"  # 企业对现场评审报告的异议 (to the office)
    COMMITTEE_ROSTER = "COMMITTEE_ROSTER"  # 评委会名单公布 (public)
    PRELIMINARY_LIST = "PRELIMINARY_LIST"  # 初选公示 (public)
    SUPPLEMENTARY_NOTICE = "SUPPLEMENTARY_NOTICE"  # 补充公示 after a return (public)
    OBJECTION_ASSIGNED = "OBJECTION_ASSIGNED"  # 异议调查任务 (to the investigator)
    OBJECTION_REMINDER = "OBJECTION_REMINDER"
    OBJECTION_OVERDUE = "OBJECTION_OVERDUE"
    AWARD_ANNOUNCEMENT = "AWARD_ANNOUNCEMENT"  # 授奖公告 (public)
    AWARD_RESULT = "AWARD_RESULT"  # 评审结果告知 (to the enterprise)
    FEEDBACK_REPORT = "FEEDBACK_REPORT"  # 评审反馈报告 (to the enterprise, R14.4; the report is a document)
    # After the award (Art. 17-19)
    REVOCATION_PROPOSED = "REVOCATION_PROPOSED"  # 撤销提请告知 (to the enterprise)
    REVOCATION_DECISION = "REVOCATION_DECISION"  # 撤销决定告知 / 不予撤销告知 (to the enterprise)
    REVOCATION_ANNOUNCEMENT = "REVOCATION_ANNOUNCEMENT"  # 撤销公告 (public)
    MEDIA_EXPOSURE_REMINDER = "MEDIA_EXPOSURE_REMINDER"  # 撤销决定媒体曝光提醒 (to the office)
    MEDIA_EXPOSURE_OVERDUE = "MEDIA_EXPOSURE_OVERDUE"  # 撤销决定媒体曝光逾期 (to the office)
    MISUSE_CORRECTION_ORDER = "MISUSE_CORRECTION_ORDER"  # 责令限期改正通知书 (to the enterprise)
    MISUSE_REMINDER = "MISUSE_REMINDER"  # 整改期限提醒 (to the enterprise)
    MISUSE_OVERDUE = "MISUSE_OVERDUE"  # 逾期未改正 (to the office)
    MISUSE_VERIFIED = "MISUSE_VERIFIED"  # 整改核实结果 (to the enterprise)
    FOLLOW_UP_REQUEST = "FOLLOW_UP_REQUEST"  # 跟踪回访通知 (to the enterprise)
    FOLLOW_UP_OVERDUE = "FOLLOW_UP_OVERDUE"  # 跟踪回访材料逾期 (to the office)
    EXPERIENCE = "EXPERIENCE"  # 质量管理先进经验推广 (public)


class Audience(StrEnum):
    PUBLIC = "PUBLIC"
    ENTERPRISE = "ENTERPRISE"
    EXPERT = "EXPERT"
    OFFICE = "OFFICE"


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
