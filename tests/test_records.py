"""``records.frozen``: behaves as ``dataclass(frozen=True)`` wherever code can tell."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import FrozenInstanceError, dataclass, field

import pytest

from releasekit.records import frozen


@frozen
class Token:
    """A record with a hidden field and a field left out of comparisons."""

    name: str
    secret: str = field(repr=False)
    seen: int = field(default=0, compare=False)
    tags: tuple[str, ...] = ()


@frozen
class Scoped(Token):
    """A record built on another: its own field joins the inherited ones."""

    scope: str = "all"


@frozen
class Derived:
    """A record whose ``__post_init__`` keeps what it computes, as frozen dataclasses do."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "length", len(self.text))


@frozen
class Listing:
    """A record with a factory and a default."""

    name: str
    items: list[str] = field(default_factory=list)
    mark: str = "x"


@frozen
class Awkward:
    """A record whose fields are named like what a generated ``__init__`` uses itself."""

    self: str
    fields: tuple[str, ...]
    name: str = "n"


@frozen
class Own:
    """A record with its own ``__repr__`` and ``__eq__``: both are kept, as dataclass keeps them."""

    value: int

    def __repr__(self) -> str:
        return "Own(...)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Own) and abs(self.value - other.value) < 2

    __hash__ = object.__hash__


@dataclass(frozen=True)
class Reference:
    """The dataclass a record stands for, to compare with."""

    name: str
    secret: str = field(repr=False)
    seen: int = field(default=0, compare=False)
    tags: tuple[str, ...] = ()


def test_a_record_is_a_dataclass_to_the_functions_that_ask() -> None:
    token = Token("pypi", "s3cret", 3, ("a",))
    assert dataclasses.is_dataclass(token)
    assert ["name", "secret", "seen", "tags"] == [each.name for each in dataclasses.fields(token)]
    assert {"name": "pypi", "secret": "s3cret", "seen": 3, "tags": ("a",)} == dataclasses.asdict(
        token
    )
    changed = dataclasses.replace(token, name="testpypi")
    assert ("testpypi", "s3cret", 3) == (changed.name, changed.secret, changed.seen)
    assert "pypi" == token.name
    assert token == pickle.loads(pickle.dumps(token))  # noqa: S301  # its own bytes


@pytest.mark.parametrize("name", ["name", "seen", "other"])
def test_assigning_or_deleting_any_attribute_is_refused(name: str) -> None:
    token = Token("pypi", "s3cret")
    with pytest.raises(FrozenInstanceError, match=f"cannot assign to field '{name}'"):
        setattr(token, name, "x")
    with pytest.raises(FrozenInstanceError, match=f"cannot delete field '{name}'"):
        delattr(token, name)
    assert ("pypi", 0) == (token.name, token.seen)
    assert not hasattr(token, "other")


def test_repr_equality_and_hash_are_the_dataclass_ones() -> None:
    """Same text, same answers as ``dataclass(frozen=True)`` for the same fields."""
    pairs = [
        (Token("a", "x"), Reference("a", "x")),
        (Token("a", "x", 5), Reference("a", "x", 5)),
        (Token("a", "y", 1, ("t",)), Reference("a", "y", 1, ("t",))),
        (Token("b", "x"), Reference("b", "x")),
    ]
    for mine, theirs in pairs:
        assert repr(theirs).replace("Reference", "Token") == repr(mine)
        assert "secret" not in repr(mine)
    for first, first_reference in pairs:
        for second, second_reference in pairs:
            assert (first_reference == second_reference) == (first == second)
            if first == second:
                assert hash(first) == hash(second)
    assert Token("a", "x", 1) == Token("a", "x", 2)  # seen is not compared
    assert 1 == len({Token("a", "x", 1), Token("a", "x", 2)})
    assert Token("a", "x") != Reference("a", "x")  # type: ignore[comparison-overlap]


def test_a_record_built_on_another_compares_and_shows_every_field() -> None:
    scoped = Scoped("a", "x", 0, (), "repo")
    assert "Scoped(name='a', seen=0, tags=(), scope='repo')" == repr(scoped)
    assert scoped != Scoped("a", "x", 0, (), "org")
    assert scoped != Token("a", "x")
    with pytest.raises(FrozenInstanceError):
        scoped.scope = "org"  # type: ignore[misc]


def test_post_init_runs_and_the_class_keeps_its_own_methods() -> None:
    derived = Derived("four")
    assert 4 == vars(derived)["length"]
    assert "Derived(text='four')" == repr(derived)
    with pytest.raises(FrozenInstanceError):
        derived.text = "five"  # type: ignore[misc]
    assert "Own(...)" == repr(Own(1))
    assert Own(1) == Own(2)


def test_defaults_and_factories_are_the_declared_ones() -> None:
    """A factory runs for each record; a default is shared, as dataclass does it."""
    first, second = Listing("a"), Listing("b")
    assert ([], [], "x") == (first.items, second.items, first.mark)
    assert first.items is not second.items
    assert Listing("a", ["1"], "y") == Listing(name="a", items=["1"], mark="y")
    awkward = Awkward("me", ("a", "b"))
    assert ("me", ("a", "b"), "n") == (awkward.self, awkward.fields, awkward.name)
    with pytest.raises(TypeError):
        Listing()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Listing("a", [], "x", "extra")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "declared",
    [
        {"annotations": {"a": "int"}, "a": field(init=False, default=0)},
        {"annotations": {"a": "int"}, "a": field(kw_only=True)},
        {"annotations": {"a": "dataclasses.InitVar[int]"}},
    ],
    ids=["init-false", "kw-only", "initvar"],
)
def test_features_a_record_does_not_copy_are_refused_when_defined(
    declared: dict[str, object],
) -> None:
    """Rather than a record that differs in silence from the dataclass it reads as."""
    body = {key: value for key, value in declared.items() if key != "annotations"}
    body["__annotations__"] = declared["annotations"]
    with pytest.raises(TypeError, match="a record"):
        frozen(type("Odd", (), body))
