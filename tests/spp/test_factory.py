"""Which SPP the process's one client talks to: the in-process SPP sandbox in development, or one
SPP sandbox server shared by every process (SPP_SANDBOX_URL), which a training install needs."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings

from dashboard.spp import get_spp_client, get_spp_sandbox
from dashboard.spp.models import SppClientUpdate
from dashboard.spp_sandbox import SppSandbox, make_server
from tests.helpers import serving


def test_two_clients_of_one_spp_sandbox_server_see_the_same_data():
    sandbox = SppSandbox(token=settings.SPP_SANDBOX_TOKEN)
    spp_id = sandbox.client_ids()[0]
    with serving(make_server(sandbox)) as url, override_settings(SPP_MODE="sandbox", SPP_SANDBOX_URL=url):
        get_spp_client.cache_clear()
        get_spp_client().update_client(spp_id, SppClientUpdate(company="Shared Training Ltd"))
        get_spp_client.cache_clear()  # what another process builds for itself
        assert get_spp_client().get_client(spp_id).company == "Shared Training Ltd"
        get_spp_client.cache_clear()
    assert sandbox.client_json(spp_id)["company"] == "Shared Training Ltd"
    assert get_spp_sandbox().client_json(spp_id)["company"] != "Shared Training Ltd"  # not in-process


def test_without_a_sandbox_url_spp_answers_in_process():
    spp_id = get_spp_sandbox().client_ids()[0]
    get_spp_client().update_client(spp_id, SppClientUpdate(company="Local Only Ltd"))
    assert get_spp_sandbox().client_json(spp_id)["company"] == "Local Only Ltd"
