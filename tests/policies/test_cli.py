"""``sealtrail policies`` and ``sealtrail tags`` as a user runs them, beside a running server."""

from __future__ import annotations

import os
import subprocess

import orjson

from sealtrail.ledger.log import Ledger
from sealtrail.policies import TagIndex
from tests.conftest import SEALTRAIL, RunningServer
from tests.policies.conftest import REGISTRY, digest, push_tags


def run(server: RunningServer, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [SEALTRAIL, *args, "--dir", str(server.directory)],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "SEALTRAIL_DIR"},
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def test_policies_and_tags_from_the_command_line(server: RunningServer) -> None:
    with Ledger.open(server.directory) as ledger:
        push_tags(TagIndex(ledger), "myorg/app", ["v1.0.0", "v1.1.0", "latest"])
    created = run(server, "policies", "create", "--namespace", "myorg", "--pattern", "v.*",
                  "--actor", "alice", "--json")  # fmt: skip
    policy = orjson.loads(created.stdout)
    assert policy["application"]["tags_affected_count"] == 2
    assert policy["author"] == "alice"

    why = run(server, "tags", "why", "myorg/app:v1.0.0").stdout
    assert why.count("\n") == 1
    assert why.startswith("myorg/app:v1.0.0 is immutable: made immutable by namespace policy")
    listing = run(server, "tags", "list", "myorg/app", "--json").stdout
    listed = [orjson.loads(line) for line in listing.splitlines()]
    by_tag = {row["tag"]: row for row in listed}
    assert f"at seq {by_tag['v1.0.0']['reason_seq']}" in why
    assert by_tag["latest"]["immutable"] is False

    lifted = run(server, "tags", "set-immutable", "myorg/app:v1.0.0", "--mutable", "--actor", "bob")
    assert "set mutable manually by bob at seq" in lifted.stdout
    updated = run(server, "policies", "update", policy["uuid"], "--pattern", "latest", "--json")
    assert orjson.loads(updated.stdout)["version"] == 2
    run(server, "policies", "delete", policy["uuid"])
    listed_policies = run(server, "policies", "list", "--namespace", "myorg", "--deleted", "--json")
    (kept,) = [orjson.loads(line) for line in listed_policies.stdout.splitlines()]
    assert kept["deleted_by"] == "cli"
    assert "nothing to resume" in run(server, "policies", "resume").stdout

    with server.client(server.admin_key) as admin:  # the server sees what the CLI recorded
        tags = admin.get("/v1/repositories/myorg/app/tags").json()["tags"]
        assert {t["tag"]: t["immutable"] for t in tags} == {
            "latest": True, "v1.0.0": False, "v1.1.0": True,
        }  # fmt: skip


def test_errors_are_one_line(server: RunningServer) -> None:
    bad = run(server, "policies", "create", "--namespace", "org", "--pattern", "(", ok=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: tag_pattern: invalid RE2 pattern")
    assert bad.stderr.count("\n") == 1
    missing = run(server, "tags", "why", "org/app:v9", ok=False)
    assert missing.stderr == "error: no tag org/app:v9 in the index\n"
    both = run(server, "policies", "list", ok=False)
    assert "exactly one of a namespace or a repository" in both.stderr
    with Ledger.open(server.directory) as ledger:
        TagIndex(ledger).record_push(
            REGISTRY, "org/app", "v9", digest(9), {"id": "x", "type": "user"}
        )
    assert "is mutable" in run(server, "tags", "why", "org/app:v9").stdout
