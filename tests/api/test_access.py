"""Who may call what: every role against every endpoint, anonymous callers, revoked keys, and a
``user`` key that never sees another actor's events by any read route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.conftest import GENEROUS
from tests.conftest import RunningServer, start_server
from tests.ledger.conftest import pull_event
from tests.policies.conftest import ROUTE_VALUES, documented_path, route_values

ROLES = ("admin", "auditor", "writer", "user", "anonymous")
ALICE = "alice@example.com"
BOB = "bob-isolation-marker-5e1f"  # appears in nothing that alice may read


@dataclass(frozen=True)
class Route:
    """One endpoint and the status each role gets: admin, auditor, writer, user, anonymous."""

    method: str
    path: str  # may hold {seq}, {key_id}
    expected: tuple[int, int, int, int, int]
    body: str = ""  # "event", "batch", "key": what to send

    def status(self, role: str) -> int:
        return self.expected[ROLES.index(role)]


# The status table. /checkpoint and /tile/... are for auditors (and public when configured);
# a user's read of its own event is allowed; keys are the admin's alone.
_NS_POLICIES = "/v1/namespaces/{namespace}/immutability-policies"
_REPO_POLICIES = "/v1/repositories/{repository}/immutability-policies"
_READ, _ADMIN = (200, 200, 403, 403, 401), (200, 403, 403, 403, 401)
# Forge hooks take no key: without the platform's signature every caller gets 401.
_SIGNED_ONLY = (401, 401, 401, 401, 401)
_HOOKS = ("github", "gitlab", "gitea", "audit-stream/github", "audit-stream/gitlab")
IMMUTABILITY_ROUTES = [
    *(Route("GET", path, _READ) for path in (_NS_POLICIES, _REPO_POLICIES)),
    *(Route("POST", path, (201, *_ADMIN[1:]), "policy") for path in (_NS_POLICIES, _REPO_POLICIES)),
    *(Route("GET", path + "/{uuid}", _READ) for path in (_NS_POLICIES, _REPO_POLICIES)),
    *(Route("PUT", p + "/{uuid}", _ADMIN, "policy_change") for p in (_NS_POLICIES, _REPO_POLICIES)),
    *(Route("DELETE", path + "/{uuid}", _ADMIN) for path in (_NS_POLICIES, _REPO_POLICIES)),
    Route("GET", "/v1/repositories/{repository}/tags", _READ),
    Route("GET", "/v1/repositories/{repository}/tags/{tag}", _READ),
    Route("PUT", "/v1/repositories/{repository}/tags/{tag}/immutability", _ADMIN, "toggle"),
]
ROUTES = [
    Route("POST", "/v1/events", (201, 403, 201, 403, 401), "event"),
    Route("POST", "/v1/events:batch", (201, 403, 201, 403, 401), "batch"),
    Route("GET", "/v1/events", (200, 200, 403, 200, 401)),
    Route("GET", "/v1/events/{seq}", (200, 200, 403, 200, 401)),
    Route("GET", "/v1/events/{seq}?proof=true", (200, 200, 403, 200, 401)),
    Route("GET", "/v1/events/types", (200, 200, 403, 200, 401)),
    Route("GET", "/v1/events/stats", (200, 200, 403, 200, 401)),
    Route("GET", "/checkpoint", (200, 200, 403, 403, 401)),
    Route("GET", "/tile/0/000.p/1", (200, 200, 403, 403, 401)),
    Route("GET", "/tile/entries/000.p/1", (200, 200, 403, 403, 401)),
    Route("GET", "/v1/proofs/inclusion?index={seq}", (200, 200, 403, 403, 401)),
    Route("GET", "/v1/proofs/consistency?old_size=1", (200, 200, 403, 403, 401)),
    Route("GET", "/v1/export", (200, 200, 403, 403, 401)),
    Route("GET", "/v1/export/bundle", (200, 200, 403, 403, 401)),
    Route("GET", "/v1/keys", (200, 403, 403, 403, 401)),
    Route("POST", "/v1/keys", (201, 403, 403, 403, 401), "key"),
    Route("DELETE", "/v1/keys/{key_id}", (200, 403, 403, 403, 401)),
    *(Route("POST", f"/v1/hooks/{path}", _SIGNED_ONLY) for path in _HOOKS),
    Route("GET", "/healthz", (200, 200, 200, 200, 200)),
    Route("GET", "/readyz", (200, 200, 200, 200, 200)),
    *IMMUTABILITY_ROUTES,
]
PUBLIC_LOG_PATHS = ("/checkpoint", "/tile/")


@dataclass
class Fixture:
    """A server, a key per role, and an event of ALICE (the user key's actor) at ``seq``."""

    server: RunningServer
    keys: dict[str, str | None]
    seq: int

    def call(self, route: Route, role: str) -> httpx.Response:
        key_id = _key_id(self.server.key("writer")) if "{key_id}" in route.path else ""
        names = route_values(self.server, route.path)
        url = route.path.format(seq=self.seq, key_id=key_id, **names)
        with self.server.client(self.keys[role]) as client:
            return client.request(route.method, url, json=_body(route.body))


def _documented_path(path: str) -> str:
    """The OpenAPI path template a concrete path falls under."""
    if path.startswith("/tile/"):
        return "/tile/{path}"
    if path.startswith("/v1/hooks/audit-stream/"):
        return "/v1/hooks/audit-stream/{platform}"
    if path.startswith("/v1/events/") and path.rsplit("/", 1)[1].isdigit():
        return "/v1/events/{seq}"
    return documented_path(path)


def _key_id(key: str) -> str:
    return key.split("_")[1]


def _body(kind: str) -> Any:
    if kind == "event":
        return pull_event(1, actor="role-matrix")
    if kind == "batch":
        return {"events": [pull_event(2, actor="role-matrix")]}
    if kind == "key":
        return {"role": "writer", "name": "made by the role matrix"}
    if kind in ("policy", "policy_change", "toggle"):
        return {"policy": {"tag_pattern": "v.*"}, "policy_change": {"tag_pattern": "w.*"},
                "toggle": {"immutable": True}}[kind]  # fmt: skip
    return None


def _fixture(server: RunningServer) -> Fixture:
    keys: dict[str, str | None] = {"admin": server.admin_key, "anonymous": None}
    keys.update({role: server.key(role) for role in ("auditor", "writer")})
    keys["user"] = server.key("user", ALICE)
    with server.client(keys["writer"]) as writer:
        response = writer.post("/v1/events", json=pull_event(0, actor=ALICE))
    response.raise_for_status()
    return Fixture(server, keys, response.json()["seq"])


@pytest.fixture(scope="module")
def private(api: RunningServer) -> Fixture:
    return _fixture(api)


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fixture]:
    env = {**GENEROUS, "SEALTRAIL_PUBLIC_LOG": "true"}
    running = start_server(tmp_path_factory.mktemp("public") / "data", env=env)
    yield _fixture(running)
    running.stop()


def _case_id(route: Route, role: str) -> str:
    return f"{role}:{route.method} {route.path}"


CASES = [pytest.param(r, role, id=_case_id(r, role)) for r in ROUTES for role in ROLES]


@pytest.mark.parametrize(("route", "role"), CASES)
def test_each_role_gets_the_status_in_the_table(private: Fixture, route: Route, role: str) -> None:
    response = private.call(route, role)
    assert response.status_code == route.status(role), response.text
    if response.status_code >= 400:
        assert response.json()["error"]
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("route", "role"), CASES)
def test_a_public_log_opens_checkpoint_and_tiles_to_everyone(
    public: Fixture, route: Route, role: str
) -> None:
    opened = route.path.startswith(PUBLIC_LOG_PATHS)
    assert public.call(route, role).status_code == (200 if opened else route.status(role))


def test_the_table_covers_every_documented_route(api: RunningServer) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in httpx.get(f"{api.url}/openapi.json").json()["paths"].items()
        for method in operations
    }
    tested = {(r.method, _documented_path(r.path.split("?")[0])) for r in ROUTES}
    assert documented - tested == set(), "add the new routes to ROUTES and to the isolation test"


def test_revoked_and_forged_keys_get_401(private: Fixture, api: RunningServer) -> None:
    key = api.key("auditor")
    with api.client(key) as client:
        assert client.get("/v1/events/types").status_code == 200
        with api.client(api.admin_key) as admin:
            assert admin.delete(f"/v1/keys/{_key_id(key)}").status_code == 200
        response = client.get("/v1/events/types")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    for credentials in (forged, "sealtrail_", "not-a-key", "x" * 10_000):
        with api.client(credentials) as client:
            assert client.get("/v1/events/types").status_code == 401


def test_the_last_active_admin_key_cannot_be_revoked(api: RunningServer) -> None:
    with api.client(api.admin_key) as admin:
        response = admin.delete(f"/v1/keys/{_key_id(api.admin_key)}")
        assert response.status_code == 409
        assert "last active admin key" in response.json()["error"]
        second = api.key("admin")
        assert admin.delete(f"/v1/keys/{_key_id(second)}").status_code == 200
        assert admin.get("/v1/keys").status_code == 200


def test_a_public_log_lets_shared_caches_keep_tiles(public: Fixture) -> None:
    with public.server.client() as anonymous:
        response = anonymous.get("/tile/0/000.p/1")
    assert response.headers["cache-control"].startswith("public")
    assert "immutable" in response.headers["cache-control"]


def test_anonymous_callers_get_401_with_a_json_error_on_unknown_api_paths_too(
    api: RunningServer,
) -> None:
    with api.client() as anonymous:
        response = anonymous.get("/v1/events", headers={"Authorization": "Basic dTpw"})
        assert response.status_code == 401
        assert response.json()["error"] == "authentication failed: no credentials"


# --- a user key sees only its own actor's events, by every read route ---


@dataclass
class Isolation:
    alice: httpx.Client
    alice_seqs: list[int]
    bob_seqs: list[int]


@pytest.fixture(scope="module")
def isolation(private: Fixture) -> Iterator[Isolation]:
    server = private.server
    with server.client(private.keys["writer"]) as writer:
        mine = [pull_event(10 + i, actor=ALICE) for i in range(3)]
        theirs = [_bob_event(20 + i) for i in range(3)]
        receipts = writer.post("/v1/events:batch", json={"events": mine + theirs}).json()
    seqs = [r["seq"] for r in receipts["receipts"]]
    with server.client(private.keys["user"]) as alice:
        yield Isolation(alice, [private.seq, *seqs[:3]], seqs[3:])


def _bob_event(i: int) -> dict[str, Any]:
    event = pull_event(i, actor=BOB)
    event["target"]["repository"] = f"{BOB}/app"
    event["message"] = f"{BOB} pulled an image"
    event["details"] = {"note": BOB}
    return event


_UUID = "01a20000-0000-7000-8000-000000000000"
_IMMUTABILITY_READS = [r.path for r in IMMUTABILITY_ROUTES if r.method == "GET"]


def _read_requests(iso: Isolation) -> list[tuple[str, dict[str, Any]]]:
    """Every read route with parameters that point at bob's events."""
    bob = iso.bob_seqs[0]
    return [
        ("/v1/events", {}),
        ("/v1/events", {"order": "oldest", "limit": 1000}),
        ("/v1/events", {"actor": BOB}),
        ("/v1/events", {"actor": BOB, "order": "oldest"}),
        ("/v1/events", {"repository": f"{BOB}/app"}),
        ("/v1/events", {"target_id": "registry.example.com/team/app:v20"}),
        ("/v1/events", {"q": BOB}),  # free-text search
        ("/v1/events", {"q": f"actor:{BOB}"}),
        ("/v1/events/stats", {}),
        ("/v1/events/stats", {"actor": BOB}),
        ("/v1/events/types", {}),
        (f"/v1/events/{bob}", {}),
        (f"/v1/events/{bob}", {"proof": "true"}),
        ("/v1/proofs/inclusion", {"index": bob}),
        ("/v1/proofs/consistency", {"old_size": 1}),
        ("/checkpoint", {}),
        ("/tile/entries/000.p/1", {}),
        (f"/tile/entries/000.p/{bob + 1}", {}),
        ("/tile/0/000.p/1", {}),
        ("/v1/export", {}),
        ("/v1/export/bundle", {}),
        ("/v1/keys", {}),
        ("/healthz", {}),
        ("/readyz", {}),
        *((documented_path(p).format(**ROUTE_VALUES, uuid=_UUID), {}) for p in _IMMUTABILITY_READS),
    ]


def test_isolation_requests_cover_every_read_route(api: RunningServer) -> None:
    paths = httpx.get(f"{api.url}/openapi.json").json()["paths"]
    readable = {path for path, operations in paths.items() if "get" in operations}
    with httpx.Client() as unused:
        covered = {_documented_path(p) for p, _ in _read_requests(Isolation(unused, [0], [7]))}
    assert readable - covered == set(), "add the new read routes to _read_requests"


def test_a_user_key_never_sees_another_actors_event_by_any_route(isolation: Isolation) -> None:
    for path, params in _read_requests(isolation):
        response = isolation.alice.get(path, params=params)
        assert response.status_code < 500, (path, params, response.text)
        assert BOB.encode() not in response.content, (path, params)
        for event in response.json().get("events", []) if response.status_code == 200 else []:
            assert event["actor"]["id"] == ALICE, (path, params)


def test_a_user_key_gets_404_for_another_actors_event_and_its_proof(
    isolation: Isolation,
) -> None:
    for seq in isolation.bob_seqs:
        for params in ({}, {"proof": "true"}):
            response = isolation.alice.get(f"/v1/events/{seq}", params=params)
            assert response.status_code == 404
            assert response.json()["error"] == f"no event {seq}"


def test_a_user_key_reads_its_own_events_and_proofs(isolation: Isolation) -> None:
    listed = isolation.alice.get("/v1/events", params={"action": "image.pull"}).json()["events"]
    assert sorted(e["seq"] for e in listed) == sorted(isolation.alice_seqs)
    one = isolation.alice.get(f"/v1/events/{isolation.alice_seqs[-1]}", params={"proof": "true"})
    assert one.status_code == 200
    assert one.json()["event"]["actor"]["id"] == ALICE
    assert one.json()["proof"]["index"] == isolation.alice_seqs[-1]


def test_a_user_keys_stats_count_only_its_own_events(isolation: Isolation) -> None:
    stats = isolation.alice.get("/v1/events/stats").json()
    assert set(stats["actor_id"]) == {ALICE}
    assert stats["total"] == stats["actor_id"][ALICE]
    pulls = isolation.alice.get("/v1/events/stats", params={"action": "image.pull"}).json()
    assert pulls["total"] == len(isolation.alice_seqs)
    foreign = isolation.alice.get("/v1/events/stats", params={"actor": BOB}).json()
    assert foreign["total"] == 0
