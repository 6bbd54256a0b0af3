"""``records.frozen`` and ``records.mutable``: behave as ``dataclass`` wherever code can tell."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from dataclasses import dataclass

import pytest

from releasekit.records import FrozenInstanceError, asdict, field, frozen, mutable, replace


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
    secret: str = dataclasses.field(repr=False)
    seen: int = dataclasses.field(default=0, compare=False)
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


def test_a_plain_subclass_of_a_record_is_a_dataclass_too() -> None:
    """As a plain subclass of a dataclass: its record's fields, its record's methods."""

    @frozen
    class Base:
        """A record whose dataclass fields no one has asked for yet."""

        name: str
        seen: int = 0

    class Plain(Base):
        """Not decorated itself."""

    plain = Plain("pypi")
    assert dataclasses.is_dataclass(plain)  # asked of the subclass first
    assert ["name", "seen"] == [each.name for each in dataclasses.fields(plain)]
    assert "testpypi" == dataclasses.replace(plain, name="testpypi").name
    assert "testpypi" == replace(plain, name="testpypi").name


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


def test_init_is_compiled_when_the_first_record_is_built() -> None:
    """Defining a record compiles nothing; its first construction does, once."""

    @frozen
    class Late:
        """A record defined here, so that no other test has built one yet."""

        count: int
        name: str = "x"
        items: list[str] = field(default_factory=list)

    stand_in = Late.__init__
    first = Late(1)
    compiled = Late.__init__
    assert compiled is not stand_in
    assert (1, "x", []) == (first.count, first.name, first.items)
    assert Late(count=2, name="y", items=["i"]) == Late(2, "y", ["i"])
    assert compiled is Late.__init__  # compiled once
    kept = object.__new__(Late)
    stand_in(kept, 3)  # the stand-in, held elsewhere, still builds records
    assert (3, "x") == (kept.count, kept.name)
    with pytest.raises(TypeError):
        Late()  # type: ignore[call-arg]


def _odd_class(declared: dict[str, object]) -> type:
    body = {key: value for key, value in declared.items() if key != "annotations"}
    body["__annotations__"] = declared["annotations"]
    return type("Odd", (), body)


@pytest.mark.parametrize(
    "declared",
    [
        {"annotations": {"a": "dataclasses.InitVar[int]"}},
        {"annotations": {"a": "ClassVar[int]"}, "a": 1},
        {"annotations": {"a": "int"}, "a": dataclasses.field(default=0)},
        {"annotations": {"a": "list[int]"}, "a": []},
        {"annotations": {"a": "int", "b": "int"}, "a": 0},
    ],
    ids=["initvar", "classvar", "dataclasses-field", "mutable-default", "default-then-none"],
)
@pytest.mark.parametrize("decorator", [frozen, mutable], ids=["frozen", "mutable"])
def test_features_a_record_does_not_copy_are_refused_when_defined(
    declared: dict[str, object], decorator: object
) -> None:
    """Rather than a record that differs in silence from the dataclass it reads as."""
    with pytest.raises(TypeError, match=r"Odd\.[ab]: a (record takes no|mutable default|field )"):
        decorator(_odd_class(declared))  # type: ignore[operator]


@mutable
class Counter:
    """A plain mutable record, as ``dataclass`` makes one."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    hidden: str = field(default="h", repr=False)


@dataclass
class CounterReference:
    """The dataclass ``Counter`` stands for."""

    name: str
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    hidden: str = dataclasses.field(default="h", repr=False)


@mutable(slots=True, unsafe_hash=True)
class Slotted:
    """A slotted, hashable record, as ``dataclass(slots=True, unsafe_hash=True)`` makes one."""

    text: str
    marks: tuple[str, ...] = ()
    note: str | None = field(default=None, compare=False)


@mutable(slots=True, unsafe_hash=True)
class Written:
    """A slotted record that writes its own ``__init__``, which is kept."""

    text: str
    size: int = field(compare=False, repr=False)

    def __init__(self, text: str) -> None:
        self.text = text
        self.size = len(text)


def test_a_mutable_record_is_a_plain_dataclass() -> None:
    counter = Counter("a")
    counter.counts["x"] = 1
    counter.name = "b"
    assert repr(CounterReference("b", {"x": 1})).replace("CounterReference", "Counter") == repr(
        counter
    )
    assert Counter("b", {"x": 1}) == counter
    assert Counter("b", {"x": 1}, "other") != counter  # hidden from repr, still compared
    assert Counter("b", {"x": 2}) != counter
    assert Counter("a").counts is not Counter("a").counts
    with pytest.raises(TypeError, match="unhashable"):
        hash(counter)
    assert ["name", "counts", "hidden"] == [each.name for each in dataclasses.fields(counter)]
    assert {"name": "b", "counts": {"x": 1}, "hidden": "h"} == dataclasses.asdict(counter)


def test_a_slotted_record_has_slots_a_hash_and_its_own_init() -> None:
    first, second = Slotted("a", ("m",), "one"), Slotted("a", ("m",), "two")
    assert not hasattr(first, "__dict__")
    assert ("text", "marks", "note") == Slotted.__slots__
    assert first == second  # the note is not compared, nor hashed
    assert hash(first) == hash(second)
    assert 2 == len({first, Slotted("b")})
    assert "Slotted(text='a', marks=('m',), note='one')" == repr(first)
    first.text = "c"
    assert "c" == first.text
    with pytest.raises(AttributeError):
        first.other = 1  # type: ignore[attr-defined]
    written = Written("four")
    assert (4, "Written(text='four')") == (written.size, repr(written))
    assert Written("four") == written
    assert "Slotted" == Slotted.__qualname__
    assert Slotted("a") == pickle.loads(pickle.dumps(Slotted("a")))  # noqa: S301  # its own bytes


def test_replace_and_asdict_of_records() -> None:
    token = Token("pypi", "s3cret", 3, ("a",))
    changed = replace(token, name="testpypi", seen=4)
    assert ("testpypi", "s3cret", 4, ("a",)) == (
        changed.name,
        changed.secret,
        changed.seen,
        changed.tags,
    )
    assert "pypi" == token.name
    nested = Listing("outer", [])
    assert {"name": "outer", "items": [], "mark": "x"} == asdict(nested)
    holder = Counter("h", {"k": 1})
    assert {"name": "h", "counts": {"k": 1}, "hidden": "h"} == asdict(holder)
    assert asdict(holder)["counts"] is not holder.counts
    with pytest.raises(TypeError, match="has no field 'nope'"):
        replace(token, nope=1)
    with pytest.raises(TypeError, match="is not a record"):
        asdict(Reference("a", "b"))


def test_the_commands_that_build_nothing_load_no_dataclasses() -> None:
    """The point of ``records``: a command's start does not pay for ``dataclasses``."""
    # doctor and build load packaging's specifiers and metadata, which load dataclasses.
    modules = ["releasekit.entry", "releasekit.cli.prepare", "releasekit.prepare"]
    modules += ["releasekit.cli.notes", "releasekit.cli.init", "releasekit.cli.config"]
    code = f"import sys\nfor name in {modules!r}: __import__(name)\nprint('dataclasses' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "False" == result.stdout.strip()
