"""Fixtures of the desk's tests: zhang's business, and a browser-less client per persona."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.customers.models import Customer
from tests.desk.scenario import Business, give_business


@pytest.fixture
def zhang_business(zhang: Customer) -> Business:
    return give_business(zhang)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
