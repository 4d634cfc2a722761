"""The storage contract is split by role, and every backend implements every role whole."""

from __future__ import annotations

import inspect

import pytest

from backcare.bot.storage import MemoryStorage, Storage, TinyDBStorage
from backcare.bot.storage.documents import DocumentStorage
from backcare.bot.storage.postgres import PostgresStorage
from backcare.bot.storage.roles import ROLES

# what spans the roles, declared by Storage itself
ACROSS = {"delete_user", "export_user", "stats", "transaction", "sync", "close"}
BACKENDS = [MemoryStorage, TinyDBStorage, PostgresStorage]
# the backends whose roles are mixins, one module per role beside the backend's core
SPLIT = {
    DocumentStorage: "backcare.bot.storage.documents",
    PostgresStorage: "backcare.bot.storage.postgres",
}


def methods(role: type) -> set[str]:
    return {name for name in dir(role) if not name.startswith("_")}


def test_the_roles_and_what_spans_them_are_the_whole_contract():
    seen: dict[str, type] = {}
    for role in ROLES:
        assert methods(role) == set(role.__abstractmethods__), role  # declared, all of them
        for name in methods(role):
            assert name not in seen, f"{name} is declared by {seen[name]} and {role}"
            seen[name] = role
        assert issubclass(Storage, role)
    assert set(seen) | ACROSS == methods(Storage)
    assert not set(seen) & ACROSS


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.__name__)
def test_every_backend_implements_every_role(backend, role):
    assert issubclass(backend, role)
    for name in sorted(role.__abstractmethods__):
        method = getattr(backend, name)
        assert not getattr(method, "__isabstractmethod__", False), f"{backend.__name__}.{name}"
        declared = inspect.signature(getattr(role, name)).parameters
        implemented = inspect.signature(method).parameters
        assert [(p.name, p.kind, p.default) for p in implemented.values()] == [
            (p.name, p.kind, p.default) for p in declared.values()
        ], f"{backend.__name__}.{name} takes other arguments than {role.__name__} declares"


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
def test_no_backend_leaves_a_method_of_the_contract_abstract(backend):
    assert not backend.__abstractmethods__


@pytest.mark.parametrize("backend", list(SPLIT), ids=lambda b: b.__name__)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.__name__)
def test_a_backends_role_lives_in_its_module_for_that_role(backend, role):
    module = f"{SPLIT[backend]}.{role.__module__.rsplit('.', 1)[1]}"
    for name in sorted(role.__abstractmethods__):
        assert getattr(backend, name).__module__ == module, f"{backend.__name__}.{name}"
