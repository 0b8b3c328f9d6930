"""What a user would write once and copy into each hand-written function (not product code):
a module-level httpx client, the credentials from where the deployment puts them (a mounted
file, Secret Manager by name, or the environment: the same variables as the connector's), and a
token cached per instance. Shares no code with the connector; ROIT's paths are written out.
"""

import json
import os
import threading
import time

import httpx

if os.environ.get("ROIT_CREDENTIALS_SECRET"):  # only the shape that needs it imports it
    from google.cloud import secretmanager

BASE_URL = os.environ["ROIT_BASE_URL"]
INTEGRATION_ID = os.environ["ROIT_INTEGRATION_ID"]
ENTRYPOINT = "/ibs-core-entrypoint/api/v1/entrypoint/requests"

client = httpx.Client(base_url=BASE_URL, timeout=30)
_lock = threading.Lock()
_token = {"value": "", "expires": 0.0}


def _credentials():
    if path := os.environ.get("ROIT_CREDENTIALS_FILE"):
        with open(path) as handle:
            doc = json.load(handle)
    elif name := os.environ.get("ROIT_CREDENTIALS_SECRET"):
        endpoint = os.environ.get("ROIT_SECRET_MANAGER_ENDPOINT")
        if endpoint:  # the local stand-in speaks REST, anonymously
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials

            sm = secretmanager.SecretManagerServiceClient(
                transport="rest",
                credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=endpoint),
            )
        else:
            sm = secretmanager.SecretManagerServiceClient()
        project = os.environ["ROIT_GCP_PROJECT"]
        version = f"projects/{project}/secrets/{name}/versions/latest"
        doc = json.loads(sm.access_secret_version(name=version).payload.data)
    else:
        doc = {
            "client_id": os.environ["ROIT_CLIENT_ID"],
            "client_secret": os.environ["ROIT_CLIENT_SECRET"],
        }
    return doc["client_id"], doc["client_secret"]


def token():
    """A token, exchanged once per instance and renewed a few minutes before it expires."""
    with _lock:
        if _token["expires"] < time.time() + 300:
            client_id, client_secret = _credentials()
            answer = client.post(
                "/auth/api/v1/token", json={"clientId": client_id, "clientSecret": client_secret}
            )
            answer.raise_for_status()
            data = answer.json()["data"]
            _token.update(
                value=data["token"], expires=time.time() + int(data.get("expiresIn") or 28800)
            )
        return _token["value"]


def post(path, body):
    """POST to ROIT with the token; its JSON answer."""
    answer = client.post(
        path, json={**body, "integrationId": INTEGRATION_ID}, headers={"Authorization": token()}
    )
    answer.raise_for_status()
    return answer.json()
