"""Image references: the seed's parsing table, the grammar's limits, and clear refusals."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sealtrail.errors import ValidationError
from sealtrail.images.reference import ImageReference, ReferenceError

DIGEST = "sha256:" + "ab12" * 16


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag"),
    [
        ("alpine:3.18", "registry-1.docker.io", "alpine", "3.18"),
        ("micsi/mercure-module:latest", "registry-1.docker.io", "micsi/mercure-module", "latest"),
        ("ghcr.io/org/image:v1.0", "ghcr.io", "org/image", "v1.0"),
        ("localhost:5000/myimage:dev", "localhost:5000", "myimage", "dev"),
        (f"myimage@{DIGEST}", "registry-1.docker.io", "myimage", None),
    ],
)
def test_the_seed_parsing_table(text: str, registry: str, repository: str, tag: str | None) -> None:
    reference = ImageReference.parse(text)
    assert (reference.registry, reference.repository, reference.tag) == (registry, repository, tag)


def test_a_digest_reference_keeps_its_digest_and_names_it_for_the_registry() -> None:
    reference = ImageReference.parse(f"myimage@{DIGEST}")
    assert reference.digest == DIGEST
    assert reference.reference == DIGEST
    assert reference.full_digest == f"myimage@{DIGEST}"


def test_docker_hub_names_have_a_canonical_form_beside_the_familiar_one() -> None:
    reference = ImageReference.parse("alpine:3.18")
    assert reference.name == "docker.io/library/alpine"
    assert reference.path == "library/alpine"
    assert reference.to_text() == "docker.io/library/alpine:3.18"
    assert reference.familiar() == "alpine:3.18"


@pytest.mark.parametrize(
    "text",
    [
        "alpine:3.18",
        "docker.io/alpine:3.18",
        "docker.io/library/alpine:3.18",
        "index.docker.io/library/alpine:3.18",
        "registry-1.docker.io/library/alpine:3.18",
    ],
)
def test_every_spelling_of_a_hub_image_is_the_same_reference(text: str) -> None:
    assert ImageReference.parse(text) == ImageReference.parse("alpine:3.18")


def test_a_name_without_tag_or_digest_pulls_latest() -> None:
    assert ImageReference.parse("local-dev-module").tag == "latest"
    assert ImageReference.parse("local-dev-module", default_tag=None).tag is None


def test_a_tag_and_a_digest_together_ask_for_the_digest() -> None:
    reference = ImageReference.parse(f"ghcr.io/org/image:v1@{DIGEST}")
    assert (reference.tag, reference.digest, reference.reference) == ("v1", DIGEST, DIGEST)
    assert reference.to_text() == f"ghcr.io/org/image:v1@{DIGEST}"


@pytest.mark.parametrize(
    ("text", "domain", "path"),
    [
        ("localhost/app", "localhost", "app"),
        ("127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app"),
        ("[::1]:5000/app", "[::1]:5000", "app"),
        ("Registry/app", "Registry", "app"),  # an upper case first component is a host
        ("team/app", "docker.io", "team/app"),
        ("a.b-c/e--f.g__h", "a.b-c", "e--f.g__h"),
    ],
)
def test_the_first_component_is_a_host_only_when_it_looks_like_one(
    text: str, domain: str, path: str
) -> None:
    reference = ImageReference.parse(text)
    assert (reference.domain, reference.path) == (domain, path)


@pytest.mark.parametrize(
    "text",
    [
        "alpine:3.18",
        "ghcr.io/org/image:v1.0",
        "localhost:5000/myimage:dev",
        f"127.0.0.1:5000/team/app:v1@{DIGEST}",
        f"quay.io/a/b/c@{DIGEST}",
    ],
)
def test_the_canonical_text_reads_back_as_the_same_reference(text: str) -> None:
    reference = ImageReference.parse(text)
    assert ImageReference.parse(reference.to_text()) == reference
    assert ImageReference.parse(reference.familiar()) == reference


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "empty"),
        ("Alpine", "lowercase"),
        ("team/App:v1", "lowercase"),
        ("alpine:", "invalid tag"),
        ("alpine:-x", "invalid tag"),
        ("alpine:" + "x" * 129, "invalid tag"),
        ("alpine@sha256:abc", "invalid digest"),
        ("alpine@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("alpine@sha256:" + "A" * 64, "lowercase hex"),
        ("alpine@sha256:" + "a" * 63, "64 lowercase hex"),
        (":v1", "no name"),
        ("@" + DIGEST, "no name"),
        ("team//app", "component ''"),
        ("team/-app", "component '-app'"),
        ("team/app_", "component 'app_'"),
        ("team/a___b", "component 'a___b'"),
        ("bad_host.io:x/app", "registry host"),
        ("ghcr.io/", "no repository path"),
        ("a/" * 130 + "b", "longer than 255"),
        ("x" * 2000, "longer than 1024"),
        ("alpine with spaces", "component"),
    ],
)
def test_a_malformed_reference_is_refused_saying_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(ReferenceError, match=re.escape(complaint)) as raised:
        ImageReference.parse(text)
    assert isinstance(raised.value, ValidationError)


def test_a_name_of_exactly_255_characters_is_accepted() -> None:
    path = "a/" * 115 + "b" * 15  # with "docker.io/" the name is 255 characters
    reference = ImageReference.parse(path)
    assert len(reference.name) == 255


@settings(max_examples=500)
@given(
    st.one_of(
        st.text(max_size=300),
        st.text(alphabet="abAB09._-/:@[]", max_size=80),
        st.builds(
            lambda host, path, tag: f"{host}/{path}:{tag}",
            st.from_regex(r"[a-z0-9.:\-\[\]]{0,20}", fullmatch=True),
            st.from_regex(r"[a-z0-9._/\-]{0,30}", fullmatch=True),
            st.from_regex(r"[\w.\-]{0,10}", fullmatch=True),
        ),
    )
)
def test_the_parser_raises_nothing_but_its_own_error(text: str) -> None:
    try:
        reference = ImageReference.parse(text)
    except ReferenceError:
        return
    assert ImageReference.parse(reference.to_text()) == reference
