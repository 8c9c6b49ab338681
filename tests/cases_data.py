"""Shared data for the case search / case view / case GUI tests: a demo organisation without
generated cases, and two intakes saved through the intake domain's services."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from intake_data import as_staff_of, household_8050
from workspace_templates import Template, keep, open_copy

from kodoku_desk.services import intake
from kodoku_desk.services.auth import Signed
from kodoku_desk.services.intake import PersonInput

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


def south_intake(signed: Signed) -> intake.IntakeInput:
    """A second household, taken in by the 南部 centre, handed to nobody in the north."""
    return replace(household_8050(signed),
                   person=PersonInput(name="山田 花子", kana="ヤマダ ハナコ",
                                      birth_date=date(1950, 2, 3), sex="女性",
                                      address="福山市南町2-2", phone="084-111-2222"),
                   household=[], handoffs=[], urgency="低",
                   worries=["収入・生活費"], most_pressing="収入・生活費")


@dataclass(frozen=True)
class WorldTemplate:
    workspace: Template  # closed with u01 signed in, as the world's tests start
    case_8050: intake.SavedIntake
    case_south: intake.SavedIntake


def build_world_template(north_template: Template, folder: Path) -> WorldTemplate:
    """The organisation, u01 signed in, and the two intakes (conftest builds it once)."""
    north = open_copy(north_template, folder)
    saved = intake.save_intake(north, household_8050(north))
    south = as_staff_of(north, SOUTH)
    saved_south = intake.save_intake(south, south_intake(south))
    return WorldTemplate(keep(north), saved, saved_south)


@pytest.fixture
def world(cases_world_template: WorldTemplate, tmp_path):
    """A copy of the world for this test alone."""
    folder = tmp_path / "ws"
    north = open_copy(cases_world_template.workspace, folder)
    yield World(folder, north, deepcopy(cases_world_template.case_8050),
                deepcopy(cases_world_template.case_south))
    north.close()
