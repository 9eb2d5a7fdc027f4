"""Every error a person can meet is the site's own page, with the right status; API paths answer problem+json.

A 404 never lists the URL patterns, with DEBUG on (the default ``make run``) or off; a form sent with a stale
CSRF token explains itself, and a sign-in already done in another tab goes straight on.
"""

import pytest
from django.template import loader
from django.test import Client

from tests.helpers.portal_usage import ESI_HOME, PASSWORD

pytestmark = pytest.mark.django_db

CHROME = 'class="site-header"'
LEAKS = (
    "DEBUG = True",
    "DEBUG=True",
    "URLconf",
    "Using the URLconf",
    "Traceback",
    "technical",
    "urlpatterns",
)


def assert_site_page(response, status: int, *, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert CHROME in html and "Open Smart Meter Texas" in html
    assert heading in html
    for leak in LEAKS:
        assert leak not in html, leak
    return html


@pytest.mark.parametrize("debug", [True, False], ids=["debug-on", "production"])
def test_unknown_url_is_the_sites_404_and_never_lists_url_patterns(client, settings, debug):
    settings.DEBUG = debug
    html = assert_site_page(client.get("/no/such/page/"), 404, heading="We can’t find that page")
    assert "/no/such/page/" in html
    assert "accounts/" not in html.split("<main", 1)[1].split("</main>", 1)[0].replace("/no/such/page/", "")


@pytest.mark.parametrize("debug", [True, False], ids=["debug-on", "production"])
def test_unknown_api_url_answers_problem_json_404(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


@pytest.mark.urls("tests.errorpages.urls")
def test_permission_denied_is_the_sites_403(client):
    assert_site_page(client.get("/test-errors/forbidden/"), 403, heading="This page isn’t open to you")
    api = client.get("/api/v1/test-errors/forbidden/")
    assert api.status_code == 403 and api["Content-Type"] == "application/problem+json"


@pytest.mark.urls("tests.errorpages.urls")
def test_suspicious_request_is_the_sites_400(client):
    assert_site_page(
        client.get("/test-errors/suspicious/"), 400, heading="We couldn’t make sense of that request"
    )


@pytest.mark.urls("tests.errorpages.urls")
def test_a_bug_is_the_sites_500_page_and_problem_json_on_the_api():
    client = Client(raise_request_exception=False)
    page = client.get("/test-errors/boom/")
    assert page.status_code == 500
    html = page.content.decode()
    assert CHROME in html and "Something went wrong on our side" in html
    api = client.get("/api/v1/test-errors/boom/")
    assert api.status_code == 500 and api["Content-Type"] == "application/problem+json"


def test_the_500_page_renders_with_no_context_and_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = loader.render_to_string("500.html")
    assert CHROME in html and "Something went wrong" in html


def test_a_form_with_a_stale_token_explains_and_offers_a_reload(customer):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {"login": customer.username, "password": PASSWORD, "csrfmiddlewaretoken": "x" * 64},
        HTTP_REFERER="http://testserver/accounts/login/",
    )
    html = assert_site_page(response, 403, heading="This form has expired")
    assert 'href="http://testserver/accounts/login/"' in html
    assert "Reload the page" in html


def test_a_form_without_the_cookie_says_to_allow_cookies():
    client = Client(enforce_csrf_checks=True)
    html = assert_site_page(
        client.post("/accounts/login/", {"login": "x"}), 403, heading="This form has expired"
    )
    assert "cookie" in html.lower()


def test_a_stale_sign_in_form_sends_a_person_already_signed_in_straight_on(customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    response = client.post(
        "/accounts/login/?next=/dashboard/", {"login": customer.username, "csrfmiddlewaretoken": "x"}
    )
    assert response.status_code == 303
    assert response["Location"] == "/dashboard/"
    offsite = client.post("/accounts/login/?next=https://evil.example/", {"csrfmiddlewaretoken": "x"})
    assert offsite["Location"] == "/"


def test_a_stale_sign_out_form_after_signing_out_elsewhere_goes_home():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": "x"})
    assert response.status_code == 303 and response["Location"] == "/"


def test_the_api_answers_a_csrf_failure_with_problem_json(customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    response = client.post(f"/api/v1/premises/{ESI_HOME}/reads/", {})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_every_page_has_a_favicon_and_favicon_ico_points_to_it(client):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    assert '<link rel="icon"' in loader.render_to_string("500.html")


ES = {"HTTP_ACCEPT_LANGUAGE": "es"}


@pytest.mark.urls("tests.errorpages.urls")
def test_a_spanish_caller_gets_404_403_and_500_in_spanish_page_and_api():
    client = Client(raise_request_exception=False)
    cases = [
        ("/no/such/page/", 404, "No encontramos esa página", "No hay nada disponible en esta dirección."),
        ("/test-errors/forbidden/", 403, None, "No tiene acceso a este recurso."),
        ("/test-errors/boom/", 500, None, "Algo falló de nuestro lado"),
    ]
    for path, status, _heading, detail in cases:
        page = client.get(path, **ES)
        assert page.status_code == status and page["Content-Language"] == "es"
        assert '<html lang="es"' in page.content.decode()
        api = client.get("/api/v1" + path.replace("/no/such/page/", "/no-such-thing/"), **ES)
        assert api.status_code == status and api["Content-Language"] == "es"
        body = api.json()
        assert body["detail"].startswith(detail), body
        assert body["title"] in ("Not found", "Forbidden", "Internal server error")  # titles stay as they are


def test_a_spanish_csrf_failure_is_explained_in_spanish_page_and_api(customer):
    client = Client(enforce_csrf_checks=True)
    page = client.post("/accounts/login/", {"login": "x"}, **ES)
    assert page.status_code == 403 and page["Content-Language"] == "es"
    assert "Este formulario" in page.content.decode()
    client.force_login(customer)
    api = client.post(f"/api/v1/premises/{ESI_HOME}/reads/", {}, **ES)
    assert api.status_code == 403 and api["Content-Language"] == "es"
    assert api.json()["detail"].startswith("Envíe el token CSRF de la sesión")
    assert api.json()["title"] == "Forbidden"  # type and title as before
