"""MongoDB outputs (FerretDB here): collections, documents and indexes; cleanup by database.

A service is FerretDB as a host process or in the cluster through its port-forward: anything with a
``mongodb://`` ``url``.
"""

from __future__ import annotations

from typing import Any

from pymongo import MongoClient

from harness.services.base import HttpEndpoint


def client(service: HttpEndpoint) -> MongoClient[dict[str, Any]]:
    """A pymongo client of ``service`` that fails within seconds when it is unreachable."""
    return MongoClient(service.url, serverSelectionTimeoutMS=5000)


def collections(service: HttpEndpoint, database: str) -> list[str]:
    """Names of the collections in ``database``, sorted."""
    with client(service) as mongo:
        return sorted(mongo[database].list_collection_names())


def documents(service: HttpEndpoint, database: str, collection: str) -> list[dict[str, Any]]:
    """Every document of ``database.collection``, sorted by ``_id`` (as text) so two reads compare equal."""
    with client(service) as mongo:
        found = list(mongo[database][collection].find({}))
    return sorted(found, key=lambda doc: str(doc.get("_id")))


def indexes(service: HttpEndpoint, database: str, collection: str) -> dict[str, list[tuple[str, int]]]:
    """The indexes of ``database.collection``: ``{name: [(field, direction), ...]}`` (``_id_`` included)."""
    with client(service) as mongo:
        info = mongo[database][collection].index_information()
    return {name: [(str(field), int(direction)) for field, direction in spec["key"]] for name, spec in info.items()}


def drop_database(service: HttpEndpoint, database: str) -> None:
    """Drop ``database`` (a missing one is fine)."""
    with client(service) as mongo:
        mongo.drop_database(database)
