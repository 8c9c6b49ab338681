"""Shared data for the case search / case view / case GUI tests: a demo organisation without
generated cases, and two intakes saved through the intake domain's services."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from intake_data import as_staff_of, copy_workspace, household_8050

from kodoku_desk.services import intake
from kodoku_desk.services.auth import Signed, sign_in
from kodoku_desk.services.intake import PersonInput
from kodoku_devtools.demo import DEMO_PASSWORD, create_demo

NORTH = "北部地域包括支援センター"  # u01's agency
SOUTH = "南部地域包括支援センター"
FUKI = "健康推進課「ふきのとう」"
JIRITSU = "自立相談支援機関"
OTHER = "障がい福祉課"


@dataclass
class World:
    folder: Path
    north: Signed  # u01, owner of the 8050 case
    case_8050: intake.SavedIntake
    case_south: intake.SavedIntake

    def staff_of(self, agency: str) -> Signed:
        return as_staff_of(self.north, agency)


@pytest.fixture(scope="session")
def org_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cases-org") / "ws"
    s, _ = create_demo(folder, cases=0)
    s.close()
    return folder


def south_intake(signed: Signed) -> intake.IntakeInput:
    """A second household, taken in by the 南部 centre, handed to nobody in the north."""
    return replace(household_8050(signed),
                   person=PersonInput(name="山田 花子", kana="ヤマダ ハナコ",
                                      birth_date=date(1950, 2, 3), sex="女性",
                                      address="福山市南町2-2", phone="084-111-2222"),
                   household=[], handoffs=[], urgency="低",
                   worries=["収入・生活費"], most_pressing="収入・生活費")


@pytest.fixture
def world(org_template, tmp_path):
    folder = tmp_path / "ws"
    copy_workspace(org_template, folder)
    north = sign_in(folder, "u01", DEMO_PASSWORD)
    saved = intake.save_intake(north, household_8050(north))
    south = as_staff_of(north, SOUTH)
    saved_south = intake.save_intake(south, south_intake(south))
    yield World(folder, north, saved, saved_south)
    north.close()
