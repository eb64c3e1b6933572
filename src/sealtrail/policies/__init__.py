"""Tag immutability policies and their complete audit trail (issue 5).

- ``model``: names (repository, tag, digest), RE2 tag patterns (full match), ``ImmutabilityPolicy``
- ``records``: the events that record every change, pure builders
- ``rows``: the tag index and policy tables
- ``tagindex``: ``TagIndex`` — pushes, deletes, manual toggles, and why a tag is immutable
- ``book``: ``ImmutabilityPolicies`` — create, update, delete, list, apply, resume
- ``apply``: retroactive application in batches, resumable after a crash

Policy deletion and weakening never lift immutability: tags a policy made immutable stay immutable
(the ``policy.update``/``policy.delete`` events say so); an admin lifts it tag by tag with a manual
toggle, on the record.
"""

from sealtrail.policies.apply import Applied
from sealtrail.policies.book import ImmutabilityPolicies
from sealtrail.policies.model import ImmutabilityPolicy, Scope, TagRef
from sealtrail.policies.records import TagKey, TagState
from sealtrail.policies.tagindex import TagIndex

__all__ = [
    "Applied",
    "ImmutabilityPolicies",
    "ImmutabilityPolicy",
    "Scope",
    "TagIndex",
    "TagKey",
    "TagRef",
    "TagState",
]
