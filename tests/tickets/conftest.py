"""The back office of the tickets tests: two field teams by district, a back office, a dispatcher.

- charlie: field engineer, 鼓楼 field team, area 鼓楼01片区; ed: second engineer of that team
- dave: field engineer, 玄武 field team, area 玄武01片区
- mia: area manager of 鼓楼区 (gets the dispatch SMS); olga: back-office handler
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kefu.accounts.choices import Role, TeamKind
from kefu.accounts.models import Team, User
from kefu.tickets.models import OrderType
from tests.conftest import Areas
from tests.factories import TeamFactory, UserFactory


@dataclass
class BackOffice:
    gulou_team: Team
    xuanwu_team: Team
    office_team: Team
    ed: User
    mia: User
    olga: User


@pytest.fixture
def back_office(areas: Areas, charlie: User, dave: User, sara: User) -> BackOffice:
    gulou_team = TeamFactory(code="F-GL", name="鼓楼装维班", kind=TeamKind.FIELD)
    gulou_team.areas.set([areas.gulou])
    xuanwu_team = TeamFactory(code="F-XW", name="玄武装维班", kind=TeamKind.FIELD)
    xuanwu_team.areas.set([areas.xuanwu])
    office_team = TeamFactory(code="BO", name="后台处理组", kind=TeamKind.BACK_OFFICE)
    charlie.team = gulou_team
    charlie.mobile = "13900000001"
    charlie.save()
    dave.team = xuanwu_team
    dave.save()
    ed = UserFactory(
        username="ed",
        display_name="艾德",
        roles=[Role.FIELD_ENGINEER],
        team=gulou_team,
        areas=[areas.gulou_01],
        mobile="13900000002",
    )
    mia = UserFactory(
        username="mia", display_name="米娅", roles=[Role.AREA_MANAGER], areas=[areas.gulou], mobile="13900000003"
    )
    areas.gulou.manager = mia
    areas.gulou.save()
    gulou_team.lead = mia
    gulou_team.save()
    olga = UserFactory(username="olga", display_name="奥尔加", roles=[Role.BACK_OFFICE], team=office_team)
    return BackOffice(gulou_team, xuanwu_team, office_team, ed, mia, olga)


@pytest.fixture
def dtv_fault(db: None) -> OrderType:
    return OrderType.objects.get(code="FAULT_DTV")
