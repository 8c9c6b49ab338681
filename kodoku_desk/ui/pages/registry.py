"""The navigation: sections, their pages, and who may see them. Pages are imported lazily by
dotted path so start-up stays fast and each domain owns its own module."""

from __future__ import annotations

from dataclasses import dataclass

from kodoku_desk.domain.actor import Actor


@dataclass(frozen=True)
class PageSpec:
    key: str
    section: str
    title: str
    target: str  # "module:Class"
    visible_to: str = "all"  # all / coordinator / supervisor / admin

    def allowed(self, actor: Actor) -> bool:
        return {
            "all": True,
            "coordinator": actor.is_coordinator,
            "supervisor": actor.is_supervisor,
            "admin": actor.is_admin,
        }[self.visible_to]


SECTIONS = ("受付", "つなぎ", "支援プラン・会議", "確認・監査", "管理")

PAGES: tuple[PageSpec, ...] = (
    PageSpec("intake", "受付", "新規受付", "kodoku_desk.ui.pages.intake:IntakePage"),
    PageSpec("cases", "受付", "ケース一覧", "kodoku_desk.ui.pages.cases:CaseListPage"),
    PageSpec("inbox", "つなぎ", "受信箱", "kodoku_desk.ui.pages.handoffs:InboxPage"),
    PageSpec("outbox", "つなぎ", "送信箱", "kodoku_desk.ui.pages.handoffs:OutboxPage"),
    PageSpec("plans", "支援プラン・会議", "支援プラン", "kodoku_desk.ui.pages.plans:PlansPage",
             "coordinator"),
    PageSpec("meetings", "支援プラン・会議", "会議", "kodoku_desk.ui.pages.meetings:MeetingsPage",
             "coordinator"),
    PageSpec("dashboard", "確認・監査", "ダッシュボード", "kodoku_desk.ui.pages.review_dashboard:DashboardPage",
             "supervisor"),
    PageSpec("handoff_log", "確認・監査", "つなぎ履歴", "kodoku_desk.ui.pages.review_handoffs:HandoffLogPage",
             "supervisor"),
    PageSpec("disclosures", "確認・監査", "提供記録", "kodoku_desk.ui.pages.review_disclosures:DisclosureLogPage",
             "supervisor"),
    PageSpec("access_log", "確認・監査", "閲覧・出力の履歴", "kodoku_desk.ui.pages.review_access:AccessLogPage",
             "supervisor"),
    PageSpec("statistics", "確認・監査", "統計", "kodoku_desk.ui.pages.review_stats:StatisticsPage",
             "supervisor"),
    PageSpec("agencies", "管理", "機関・ブロック", "kodoku_desk.ui.pages.admin:AgencyAdminPage", "admin"),
    PageSpec("staff", "管理", "職員", "kodoku_desk.ui.pages.admin:StaffAdminPage", "admin"),
    PageSpec("settings", "管理", "設定・回復キー", "kodoku_desk.ui.pages.admin:SettingsPage", "admin"),
)
