import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from tests.factories import DEMO_PASSWORD, UserFactory


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(settings):
    from django.conf import settings as django_settings

    from kefu.config import settings as kefu_settings

    settings.PASSWORD_HASHERS = kefu_settings.PASSWORD_HASHERS
    user = UserFactory(username="hashme")

    assert django_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert identify_hasher(user.password).algorithm == "argon2"


@pytest.mark.django_db
def test_agent_logs_in_with_right_password(client, alice):
    response = _login(client, "alice", DEMO_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client, alice):
    response = _login(client, "alice", "wrong")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_five_failures_lock_the_user_out_even_with_the_right_password(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong")

    response = _login(client, "alice", DEMO_PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_success_before_the_limit_resets_the_count(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "alice", "wrong")
    _login(client, "alice", DEMO_PASSWORD)
    client.logout()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "alice", "wrong")
    response = _login(client, "alice", DEMO_PASSWORD)

    assert response.status_code == 302


@pytest.mark.django_db
def test_password_change_requires_old_password(client, alice):
    client.force_login(alice)

    refused = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "Xy7!long-pass", "new_password2": "Xy7!long-pass"},
    )
    accepted = client.post(
        reverse("password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": "Xy7!long-pass", "new_password2": "Xy7!long-pass"},
    )

    assert refused.status_code == 200
    assert accepted.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Xy7!long-pass")


@pytest.mark.django_db
def test_logout_is_post_only_and_ends_the_session(client, alice):
    client.force_login(alice)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
