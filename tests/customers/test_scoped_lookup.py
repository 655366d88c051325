"""The one-statement customer lookup behind new work orders keeps the readers' scope."""

from __future__ import annotations

import pytest
from django.http import Http404

from kefu.customers.queries import customer_for_user_or_404, customer_to_work_for_or_404, primary_contact
from tests.factories import CustomerFactory


@pytest.mark.django_db
def test_it_finds_what_the_full_lookup_finds_with_the_area(alice, charlie, zhang, wang, areas):
    for reader, customer in ((alice, zhang), (alice, wang), (charlie, zhang)):
        found = customer_to_work_for_or_404(reader, customer.pk)
        assert found == customer_for_user_or_404(reader, customer.pk)
        assert found.service_area == customer.service_area
        assert found.service_area.path == customer.service_area.path


@pytest.mark.django_db
def test_an_engineer_cannot_reach_a_customer_of_another_area(charlie, wang):
    with pytest.raises(Http404):
        customer_for_user_or_404(charlie, wang.pk)
    with pytest.raises(Http404):
        customer_to_work_for_or_404(charlie, wang.pk)


@pytest.mark.django_db
def test_unknown_customer_and_a_reader_without_access_get_404(alice, zhang, kate):
    with pytest.raises(Http404):
        customer_to_work_for_or_404(alice, zhang.pk + 10_000)
    with pytest.raises(Http404):
        customer_to_work_for_or_404(kate, zhang.pk)  # the knowledge editor sees no customers


@pytest.mark.django_db
def test_primary_contact_prefers_the_primary_number_and_address(areas):
    zhang = CustomerFactory(service_area=areas.gulou_01)
    zhang.numbers.all().delete()
    zhang.addresses.all().delete()
    assert primary_contact(zhang) == ("", "")
    zhang.numbers.create(number="13800000001", is_primary=False)
    zhang.numbers.create(number="13800000002", is_primary=True)
    zhang.addresses.create(text="鼓楼区中山路1号", is_primary=True)
    number, address = primary_contact(zhang)
    assert number == "13800000002"
    assert address == "鼓楼区中山路1号"


@pytest.mark.django_db
def test_an_area_newer_than_the_snapshot_is_read_from_the_database(alice, zhang, monkeypatch):
    from kefu.accounts import directory

    monkeypatch.setattr(directory, "service_area", lambda area_id: None)  # another node made it
    found = customer_to_work_for_or_404(alice, zhang.pk)
    assert found.service_area_id == zhang.service_area_id
    assert found.service_area == zhang.service_area
