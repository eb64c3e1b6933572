"""Image references, read as the distribution reference grammar says.

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [ domain "/" ] path              (at most 255 characters)
    domain           := host [ ":" port ]
    host             := domain-name | IPv4 address | "[" IPv6 address "]"
    domain-name      := domain-component [ "." domain-component ]*
    domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
    path             := path-component [ "/" path-component ]*
    path-component   := alpha-numeric [ separator alpha-numeric ]*
    alpha-numeric    := /[a-z0-9]+/
    separator        := /[_.]|__|[-]*/
    tag              := /[\\w][\\w.-]{0,127}/
    digest           := algorithm ":" hex   (sha256: 64, sha384: 96, sha512: 128 lowercase hex)

The first component is a domain when it has a ``.`` or a ``:``, is ``localhost``, or has an upper
case letter (as Docker decides); otherwise the image is on Docker Hub, whose API endpoint is
``registry-1.docker.io`` and whose one-component names live under ``library/``
(https://github.com/distribution/reference/blob/main/normalize.go).

An ``ImageReference`` keeps the repository as people write it (``alpine``, ``micsi/app``) beside
the canonical name (``docker.io/library/alpine``) so that both kinds of search find it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sealtrail.errors import ValidationError

__all__ = ["DOCKER_HUB", "DOCKER_HUB_ENDPOINT", "ImageReference", "ReferenceError"]

DOCKER_HUB = "docker.io"
DOCKER_HUB_ENDPOINT = "registry-1.docker.io"
NAME_MAX = 255
TEXT_MAX = 1024  # longer text is refused before any pattern looks at it

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})(?::[0-9]+)?", re.ASCII
)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[_.]|__|[-]+)[a-z0-9]+)*", re.ASCII)
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}
_HUB_ALIASES = {DOCKER_HUB, "index.docker.io", DOCKER_HUB_ENDPOINT}


class ReferenceError(ValidationError):
    """An image reference that the grammar refuses; the message says which part and why."""


@dataclass(frozen=True)
class ImageReference:
    """One parsed image reference.

    ``domain`` is the registry as named (``docker.io`` for Docker Hub), ``registry`` the endpoint
    spoken to (``registry-1.docker.io``), ``repository`` the path as people write it (``alpine``),
    ``path`` the path on the registry's API (``library/alpine``); ``tag`` and ``digest`` are None
    when not given.
    """

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str, *, default_tag: str | None = "latest") -> ImageReference:
        """Read ``text``; with neither tag nor digest, the tag is ``default_tag``."""
        if not isinstance(text, str):
            raise ReferenceError(f"an image reference is a string, not {type(text).__name__}")
        if not text:
            raise ReferenceError("the image reference is empty")
        if len(text) > TEXT_MAX:
            raise ReferenceError(f"the image reference is longer than {TEXT_MAX} characters")
        rest, digest = _split_digest(text)
        name, tag = _split_tag(rest)
        domain, path = _split_domain(name)
        if len(name) > NAME_MAX or len(f"{domain}/{path}") > NAME_MAX:
            raise ReferenceError(f"the image name is longer than {NAME_MAX} characters: {text!r}")
        if tag is None and digest is None:
            tag = default_tag
        return cls(domain, path, tag, digest)

    @property
    def registry(self) -> str:
        """The endpoint to speak the distribution API to (``registry-1.docker.io`` for Hub)."""
        return DOCKER_HUB_ENDPOINT if self.domain == DOCKER_HUB else self.domain

    @property
    def repository(self) -> str:
        """The repository as people write it: Docker Hub's ``library/`` is left out."""
        if self.domain == DOCKER_HUB and self.path.startswith("library/"):
            short = self.path.removeprefix("library/")
            if "/" not in short:
                return short
        return self.path

    @property
    def name(self) -> str:
        """The canonical name: ``docker.io/library/alpine``."""
        return f"{self.domain}/{self.path}"

    @property
    def reference(self) -> str:
        """What a registry is asked for: the digest when there is one, else the tag."""
        found = self.digest or self.tag
        if found is None:
            raise ReferenceError(f"{self.name} names neither a tag nor a digest")
        return found

    @property
    def full_digest(self) -> str | None:
        """``repository@digest`` as the seed's log line shows it, when the digest is known."""
        return f"{self.repository}@{self.digest}" if self.digest else None

    def with_digest(self, digest: str) -> ImageReference:
        """The same reference pinned to ``digest`` (the tag is kept)."""
        _check_digest(digest)
        return ImageReference(self.domain, self.path, self.tag, digest)

    def to_text(self) -> str:
        """The canonical reference: ``docker.io/library/alpine:3.18[@sha256:…]``."""
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def familiar(self) -> str:
        """The reference as people write it: ``alpine:3.18``, ``ghcr.io/org/image:v1``."""
        text = self.repository if self.domain == DOCKER_HUB else self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def __str__(self) -> str:
        return self.familiar()


def _split_digest(text: str) -> tuple[str, str | None]:
    rest, at, digest = text.partition("@")
    if not at:
        return text, None
    if not rest:
        raise ReferenceError(f"the image reference {text!r} has a digest but no name")
    _check_digest(digest)
    return rest, digest


def _check_digest(digest: str) -> None:
    if not _DIGEST.fullmatch(digest):
        raise ReferenceError(
            f"invalid digest {digest!r}: expected algorithm:hex, e.g. sha256: and 64 hex digits"
        )
    algorithm, _, hex_part = digest.partition(":")
    if algorithm not in _DIGEST_HEX:
        raise ReferenceError(f"unsupported digest algorithm {algorithm!r} (sha256, sha384, sha512)")
    if len(hex_part) != _DIGEST_HEX[algorithm] or hex_part != hex_part.lower():
        raise ReferenceError(
            f"invalid {algorithm} digest: expected {_DIGEST_HEX[algorithm]} lowercase hex digits"
        )


def _split_tag(text: str) -> tuple[str, str | None]:
    colon = text.rfind(":")
    if colon == -1 or "/" in text[colon:]:  # a colon before the last slash is a port
        return text, None
    name, tag = text[:colon], text[colon + 1 :]
    if not _TAG.fullmatch(tag):
        raise ReferenceError(
            f"invalid tag {tag!r}: a tag is 1 to 128 letters, digits, '_', '.' or '-', "
            "not starting with '.' or '-'"
        )
    if not name:
        raise ReferenceError(f"the image reference {text!r} has a tag but no name")
    return name, tag


def _split_domain(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if slash and _is_domain(first):
        domain, path = first, rest
        if not _DOMAIN.fullmatch(domain):
            raise ReferenceError(f"invalid registry host {domain!r}")
        if domain in _HUB_ALIASES:
            domain = DOCKER_HUB
    else:
        domain, path = DOCKER_HUB, name
    _check_path(path, name)
    if domain == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    return domain, path


def _is_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost" or first != first.lower()


def _check_path(path: str, name: str) -> None:
    if not path:
        raise ReferenceError(f"the image name {name!r} has no repository path")
    for component in path.split("/"):
        if _PATH_COMPONENT.fullmatch(component):
            continue
        if component and _PATH_COMPONENT.fullmatch(component.lower()):
            raise ReferenceError(f"repository name must be lowercase: {name!r}")
        raise ReferenceError(
            f"invalid repository path component {component!r} in {name!r}: components are "
            "lowercase letters and digits, separated by '.', '_', '__' or dashes"
        )
