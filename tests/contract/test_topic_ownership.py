"""The topic ownership table in shared/topics.py, from which the broker's ACLs are derived, matches
what the services really do: the topics they subscribe to (their AsyncAPI documents) and the
events they construct (their source)."""

from __future__ import annotations

import json
import re

import pytest

from shared import topics
from sysaccess.infra import PROJECT_ROOT

PACKAGES = {
    topics.REQUEST_INTAKE: "request_intake",
    topics.APPROVAL: "approval",
    topics.NOTIFIER: "notifier",
}


def _operations(package: str) -> dict[str, set[str]]:
    document = json.loads((PROJECT_ROOT / "docs" / "asyncapi" / f"{package}.json").read_text())
    channels = document["channels"]
    found: dict[str, set[str]] = {"send": set(), "receive": set()}
    for operation in document["operations"].values():
        channel = channels[operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        found[operation["action"]].add(channel["address"])
    return found


def test_every_topic_has_one_known_producer_and_a_consumer() -> None:
    for topic in topics.ALL_TOPICS:
        assert topic.producer in topics.SERVICES, topic.name
        assert topic.consumers, topic.name
        assert set(topic.consumers) <= set(topics.SERVICES), topic.name


@pytest.mark.parametrize("service", topics.SERVICES)
def test_consumers_match_the_subscriptions(service: str) -> None:
    assert _operations(PACKAGES[service])["receive"] == set(topics.readable_by(service))


@pytest.mark.parametrize("service", topics.SERVICES)
def test_declared_publications_are_owned(service: str) -> None:
    assert _operations(PACKAGES[service])["send"] <= {t.name for t in topics.produced_by(service)}


@pytest.mark.parametrize("service", topics.SERVICES)
def test_a_service_constructs_only_events_it_owns(service: str) -> None:
    source = "\n".join(
        path.read_text() for path in (PROJECT_ROOT / "services" / PACKAGES[service]).rglob("*.py")
    )
    constructed = {t for t in topics.ALL_TOPICS if re.search(rf"\b{t.message.__name__}\(", source)}
    assert constructed == set(topics.produced_by(service))


def test_dead_letters_are_written_by_the_consumers() -> None:
    for service in topics.SERVICES:
        writable = set(topics.writable_by(service))
        for topic in topics.consumed_by(service):
            assert topic.dead_letter in writable
    assert topics.NOTIFICATIONS_DEAD_LETTER in topics.writable_by(topics.NOTIFIER)
    assert topics.NOTIFICATIONS_DEAD_LETTER not in topics.writable_by(topics.APPROVAL)


def test_only_approval_may_write_decisions() -> None:
    writers = [s for s in topics.SERVICES if topics.DECIDE_REQUEST.name in topics.writable_by(s)]
    assert writers == [topics.APPROVAL]
