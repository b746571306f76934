"""docs/api.md (make docs) is current and covers the whole API: every service, method,
message, enum and enum value of opengovfood.v1, their comments, and every error reason."""

from __future__ import annotations

from buildtools import api_docs
from opengovfood.reasons import Reason

TEXT = api_docs.OUT.read_text()


def test_api_reference_is_current() -> None:
    assert api_docs.render() == TEXT, "docs/api.md is stale: run `make docs` and commit it"


def test_everything_is_documented() -> None:
    files = api_docs.load_files()
    assert {f.name for f in files} >= {
        "opengovfood/v1/items.proto",
        "opengovfood/v1/users.proto",
        "opengovfood/v1/agent.proto",
    }
    for proto in files:
        for service in proto.service:
            assert f"### {service.name}\n" in TEXT
            for method in service.method:
                assert f"| `{method.name}` |" in TEXT, method.name
        for message in proto.message_type:
            assert f"### {message.name}\n" in TEXT, message.name
            for field in message.field:
                assert f"| `{field.name}` |" in TEXT, (message.name, field.name)
        for enum in proto.enum_type:
            assert f"### {enum.name}\n" in TEXT, enum.name
            for value in enum.value:
                assert f"| `{value.name}` | {value.number} |" in TEXT, value.name
    for reason in Reason:
        assert f"| `{reason.value}` |" in TEXT


def test_comments_come_from_the_protos() -> None:
    assert (
        "| `GetItem` | [`GetItemRequest`](#getitemrequest) | [`Item`](#item) | Returns one item. |"
        in TEXT
    )
    assert "stream [`ItemEvent`](#itemevent)" in TEXT
