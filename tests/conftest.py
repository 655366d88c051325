"""Named personas shared by the suite (Healthchecks' habit):

- alice: agent in the hotline team; bob: agent in the same team
- sara: supervisor; adam: administrator
- charlie: field engineer for 鼓楼-01 (and below); dave: field engineer for 玄武-01
- gina: dispatcher; kate: knowledge editor (sees no customers)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kefu.accounts.choices import AreaLevel, Role
from kefu.accounts.models import ServiceArea, User
from kefu.customers.models import Customer
from tests.factories import CustomerFactory, ServiceAreaFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Argon2 is slow by design; the suite creates hundreds of users. One test checks argon2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_process_caches():  # type: ignore[no-untyped-def]
    """Message texts, channel accounts, configuration snapshots and order numbers are kept per
    process; a test's rolled-back rows must not leak into the next test."""
    from kefu.core.snapshots import forget_all
    from kefu.messaging import services
    from kefu.messaging.channel_accounts import forget_channel_accounts
    from kefu.messaging.services import clear_template_cache
    from kefu.tickets.services.orders import forget_reserved_numbers

    clear_template_cache()
    forget_channel_accounts()
    services._delivery_asked_for[0] = 0.0  # the delivery task asked for went with the rollback
    forget_all()
    forget_reserved_numbers()


@dataclass
class Areas:
    city: ServiceArea
    gulou: ServiceArea
    gulou_01: ServiceArea
    xuanwu: ServiceArea
    xuanwu_01: ServiceArea


@pytest.fixture
def areas(db: None) -> Areas:
    city = ServiceAreaFactory(code="NJ", name="南京", level=AreaLevel.CITY)
    gulou = ServiceAreaFactory(code="NJ-GL", name="鼓楼区", level=AreaLevel.DISTRICT, parent=city)
    xuanwu = ServiceAreaFactory(code="NJ-XW", name="玄武区", level=AreaLevel.DISTRICT, parent=city)
    return Areas(
        city=city,
        gulou=gulou,
        gulou_01=ServiceAreaFactory(code="NJ-GL-01", name="鼓楼01片区", parent=gulou),
        xuanwu=xuanwu,
        xuanwu_01=ServiceAreaFactory(code="NJ-XW-01", name="玄武01片区", parent=xuanwu),
    )


@pytest.fixture
def hotline(db: None):  # type: ignore[no-untyped-def]
    return TeamFactory(code="HOT1", name="热线一组")


@pytest.fixture
def alice(hotline) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="alice", display_name="艾丽", team=hotline, roles=[Role.AGENT])


@pytest.fixture
def bob(hotline) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", display_name="鲍勃", team=hotline, roles=[Role.AGENT])


@pytest.fixture
def sara(db: None) -> User:
    return UserFactory(username="sara", display_name="莎拉", roles=[Role.SUPERVISOR])


@pytest.fixture
def adam(db: None) -> User:
    return UserFactory(username="adam", display_name="亚当", roles=[Role.ADMINISTRATOR], is_staff=True)


@pytest.fixture
def charlie(areas: Areas) -> User:
    return UserFactory(username="charlie", display_name="查理", roles=[Role.FIELD_ENGINEER], areas=[areas.gulou_01])


@pytest.fixture
def dave(areas: Areas) -> User:
    return UserFactory(username="dave", display_name="戴夫", roles=[Role.FIELD_ENGINEER], areas=[areas.xuanwu_01])


@pytest.fixture
def gina(db: None) -> User:
    return UserFactory(username="gina", display_name="吉娜", roles=[Role.DISPATCHER])


@pytest.fixture
def kate(db: None) -> User:
    return UserFactory(username="kate", display_name="凯特", roles=[Role.KNOWLEDGE_EDITOR])


@pytest.fixture
def zhang(areas: Areas) -> Customer:
    """A customer in 鼓楼01片区 with mobile 13812345678."""
    return CustomerFactory(
        name="张三丰", service_area=areas.gulou_01, phone="13812345678", id_number="320102198001011234"
    )


@pytest.fixture
def wang(areas: Areas) -> Customer:
    """A customer in 玄武01片区 with mobile 13987654321."""
    return CustomerFactory(name="王小二", service_area=areas.xuanwu_01, phone="13987654321")


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Browser tests run last: Playwright's sync API keeps an event loop in the main thread
    for the session, which would break asgiref's async_to_sync in the tests after it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
