"""Records: releasekit's dataclasses, defined without loading ``dataclasses``.

``dataclasses`` loads ``inspect`` (and with it ``ast``, ``dis`` and ``tokenize``), and
``dataclass`` studies each class's annotations, fields and bases before compiling its methods:
together about a tenth of what a command spends before it does anything (docs/decisions.md).
Every command paid it at every start, for classes most runs never build. The two decorators here
do the same job with what a record needs and nothing else:

- ``frozen``: a frozen dataclass. One compiled function, an ``__init__`` that writes each field
  straight into the instance's ``__dict__`` (faster than the ``object.__setattr__`` calls of
  ``frozen=True``); ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__``
  are closures over tables made once for the class. Assigning or deleting an attribute raises
  ``FrozenInstanceError``, as ``frozen=True`` does.
- ``mutable``: a plain dataclass (``__init__``, ``__repr__``, ``__eq__``; unhashable unless
  ``unsafe_hash``), optionally with ``__slots__``, for the records a history builds by the ten
  thousand.

Fields are the class's annotations, in order, after those of the records it is built on; a
default is a value or a ``field(...)``. Methods the class writes itself are kept, as
``dataclass`` keeps them. The rarer dataclass features (``InitVar``, ``ClassVar``, ``kw_only``,
``init=False`` fields) are refused when the class is defined, so that nothing silently differs.

A record is still a dataclass to everything outside that asks: ``dataclasses.fields``,
``replace``, ``asdict`` and ``is_dataclass`` find its ``__dataclass_fields__``, which are made
(with ``dataclasses.make_dataclass``) on first use; and mypy reads both decorators through
``dataclass_transform``. Within releasekit, ``replace`` and ``asdict`` here do the same without
that first use.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform, overload

if TYPE_CHECKING:
    from dataclasses import Field

_T = TypeVar("_T")


class FrozenInstanceError(AttributeError):
    """An attribute of a frozen record was assigned or deleted (``dataclasses``' name)."""


class _Missing:
    """The marker of a field without a default (a ``None`` default is a default)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class _Field:
    """One field of a record: its name, annotation, default and where it takes part."""

    __slots__ = ("compare", "default", "default_factory", "hash", "name", "repr", "type")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        repr: bool = True,  # dataclasses' name for it
        compare: bool = True,
        hash: bool | None = None,  # dataclasses' name for it
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("a field takes a default or a default_factory, not both")
        self.name = ""
        self.type: object = None
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare
        self.hash = hash

    @property
    def hashed(self) -> bool:
        """Whether ``__hash__`` reads the field: as compared, unless ``hash`` says otherwise."""
        return self.compare if self.hash is None else self.hash


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    repr: bool = True,  # dataclasses' name for it
    compare: bool = True,
    hash: bool | None = None,  # dataclasses' name for it
) -> Any:
    """A field with more than a default: a factory, or left out of ``repr`` or comparisons."""
    return _Field(default, default_factory, repr, compare, hash)


def _refuse(cls: type, name: str, what: str) -> TypeError:
    return TypeError(f"{cls.__qualname__}.{name}: a record takes no {what}")


def _own_fields(cls: type) -> list[_Field]:
    """The fields ``cls`` declares itself, taking their defaults off the class as dataclass does."""
    own = cls.__dict__
    declared: dict[str, Any] = own.get("__annotations__", {})
    made: list[_Field] = []
    for name, annotation in declared.items():
        text = str(annotation)
        for word in ("ClassVar", "InitVar"):
            if word in text:
                raise _refuse(cls, name, word)
        value = own.get(name, MISSING)
        if isinstance(value, _Field):
            each = value
        elif type(value).__module__ == "dataclasses":  # a dataclasses.field(): not read here
            raise _refuse(cls, name, "dataclasses.field (use records.field)")
        else:
            each = _Field(default=value)
        if each.default is not MISSING and type(each.default).__hash__ is None:
            raise TypeError(
                f"{cls.__qualname__}.{name}: a mutable default is shared by every record; "
                "use field(default_factory=...)"
            )
        each.name, each.type = name, annotation
        # The class keeps a plain default as its attribute, and nothing for the others.
        if each.default is MISSING:
            if name in own:
                delattr(cls, name)
        elif isinstance(value, _Field):
            setattr(cls, name, each.default)
        made.append(each)
    return made


def _fields(cls: type) -> tuple[_Field, ...]:
    """Every field of ``cls``: those of the records it is built on first, then its own."""
    table: dict[str, _Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for each in base.__dict__.get("__record_fields__", ()):
            table[each.name] = each
    for each in _own_fields(cls):
        table[each.name] = each
    return tuple(table.values())


def _init(cls: type, every: tuple[_Field, ...], *, into_dict: bool) -> Any:
    """The ``__init__`` of ``cls``: its fields in order, defaults and factories as declared.

    A frozen record's writes go straight into the instance's ``__dict__``; a mutable one's are
    plain assignments (slots have no ``__dict__``). The source is written now (a field order
    that cannot be is refused now), but compiled when the first record is built: compiling is
    most of what defining a record costs, and most runs build few of the records they load.
    The compiled function then takes the stand-in's place on the class.
    """
    # Every name of its own is a dunder no field is named like: a field may be "self" or "fields".
    names: dict[str, Any] = {"__record_missing__": MISSING}
    parameters: list[str] = []
    defaulted = False
    lines: list[str] = ["  __record_fields__ = __record_self__.__dict__"] if into_dict else []
    for each in every:
        name = each.name
        if each.default_factory is not MISSING:
            names[f"__record_factory_{name}__"] = each.default_factory
            parameters.append(f"{name}=__record_missing__")
            defaulted = True
            lines.append(f"  if {name} is __record_missing__: {name} = __record_factory_{name}__()")
        elif each.default is not MISSING:
            names[f"__record_default_{name}__"] = each.default
            parameters.append(f"{name}=__record_default_{name}__")
            defaulted = True
        elif defaulted:
            raise TypeError(f"{cls.__qualname__}.{name}: a field without a default after one with")
        else:
            parameters.append(name)
        if into_dict:
            lines.append(f"  __record_fields__[{name!r}] = {name}")
        else:
            lines.append(f"  __record_self__.{name} = {name}")
    if hasattr(cls, "__post_init__"):
        lines.append("  __record_self__.__post_init__()")
    source = f"def __init__(__record_self__, {', '.join(parameters)}):\n" + "\n".join(
        lines or ["  pass"]
    )
    compiled: list[Any] = []

    def __init__(self: object, *args: Any, **kwargs: Any) -> None:
        if not compiled:
            exec(source, names)  # noqa: S102  # the source is made above from the field names
            function = names["__init__"]
            function.__qualname__ = __init__.__qualname__
            compiled.append(function)
            type.__setattr__(cls, "__init__", function)
        compiled[0](self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _values(names: tuple[str, ...]) -> Any:
    """A function giving an object's values of ``names`` as a tuple, in C where it can."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return lambda self: ()


def _methods(every: tuple[_Field, ...]) -> dict[str, Any]:
    """``__repr__``, ``__eq__`` and ``__hash__`` over the fields that take part in each."""
    shown = tuple(each.name for each in every if each.repr)
    compared = _values(tuple(each.name for each in every if each.compare))
    hashed = _values(tuple(each.name for each in every if each.hashed))

    def __repr__(self: object) -> str:
        parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({parts})"

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(compared(self) == compared(other))

    def __hash__(self: object) -> int:
        return hash(hashed(self))

    return {"__repr__": __repr__, "__eq__": __eq__, "__hash__": __hash__}


class _DataclassFields:
    """``__dataclass_fields__``, made on first use: what makes a record a dataclass outside.

    ``dataclasses.make_dataclass`` builds the ``Field`` objects of the same fields (no method
    of the class it makes is used), and the class keeps them from then on.
    """

    def __get__(self, instance: object, owner: type) -> dict[str, Field[Any]]:
        import dataclasses  # noqa: PLC0415  # only when code outside asks

        def spec(each: _Field) -> Field[Any]:
            given: dict[str, Any] = {"repr": each.repr, "compare": each.compare, "hash": each.hash}
            if each.default is not MISSING:
                given["default"] = each.default
            if each.default_factory is not MISSING:
                given["default_factory"] = each.default_factory
            made: Field[Any] = dataclasses.field(**given)
            return made

        # ``owner`` may be a plain subclass of a record: it has its record's fields, as a plain
        # subclass of a dataclass has.
        every: tuple[_Field, ...] = getattr(owner, "__record_fields__")  # noqa: B009
        specs = [(each.name, each.type, spec(each)) for each in every]
        made = dataclasses.make_dataclass(owner.__name__, specs, init=False, repr=False, eq=False)
        table: dict[str, Field[Any]] = vars(made)["__dataclass_fields__"]
        type.__setattr__(owner, "__dataclass_fields__", table)
        return table


_DATACLASS_FIELDS = _DataclassFields()


def _finish(cls: type[_T], every: tuple[_Field, ...], methods: dict[str, Any]) -> type[_T]:
    """Give ``cls`` the methods it does not write itself, and its tables."""
    own = cls.__dict__
    for name, method in methods.items():
        if name not in own or (name == "__hash__" and own[name] is None):
            setattr(cls, name, method)
    type.__setattr__(cls, "__record_fields__", every)
    type.__setattr__(cls, "__dataclass_fields__", _DATACLASS_FIELDS)
    type.__setattr__(cls, "__match_args__", tuple(each.name for each in every))
    return cls


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[_T]) -> type[_T]:
    """``cls`` as a frozen dataclass with one generated function (see the module)."""
    every = _fields(cls)
    names = frozenset(each.name for each in every)

    def __setattr__(self: object, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)  # type: ignore[misc]

    def __delattr__(self: object, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)  # type: ignore[misc]

    methods = _methods(every)
    methods.update(__setattr__=__setattr__, __delattr__=__delattr__)
    if "__init__" not in cls.__dict__:
        methods["__init__"] = _init(cls, every, into_dict=True)
    return _finish(cls, every, methods)


def _slotted(cls: type[_T], every: tuple[_Field, ...]) -> type[_T]:
    """``cls`` made again with a slot for each of its own fields, as ``dataclass(slots=True)``."""
    inherited = {name for base in cls.__mro__[1:] for name in base.__dict__.get("__slots__", ())}
    body = dict(cls.__dict__)
    for name in (*(each.name for each in every), "__dict__", "__weakref__"):
        body.pop(name, None)
    body["__slots__"] = tuple(each.name for each in every if each.name not in inherited)
    made: type[_T] = type(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    return made


@overload
def mutable(cls: type[_T], /) -> type[_T]: ...
@overload
def mutable(
    *, slots: bool = False, unsafe_hash: bool = False
) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(field_specifiers=(field,))
def mutable(
    cls: type[_T] | None = None, /, *, slots: bool = False, unsafe_hash: bool = False
) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """``cls`` as a plain dataclass: ``dataclass``, ``dataclass(slots=True, unsafe_hash=True)``."""

    def make(cls: type[_T]) -> type[_T]:
        every = _fields(cls)
        if slots:
            cls = _slotted(cls, every)
        methods = _methods(every)
        if not unsafe_hash:
            methods["__hash__"] = None  # equal by value and changeable: no hash, as dataclass
        if "__init__" not in cls.__dict__:
            methods["__init__"] = _init(cls, every, into_dict=False)
        return _finish(cls, every, methods)

    return make if cls is None else make(cls)


def _record_fields(obj: object) -> tuple[_Field, ...]:
    every: tuple[_Field, ...] | None = getattr(type(obj), "__record_fields__", None)
    if every is None:
        raise TypeError(f"{type(obj).__qualname__} is not a record")
    return every


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of the record ``obj`` with ``changes`` (``dataclasses.replace`` for records)."""
    every = _record_fields(obj)
    unknown = set(changes) - {each.name for each in every}
    if unknown:
        raise TypeError(f"{type(obj).__qualname__} has no field {sorted(unknown)[0]!r}")
    values = {each.name: changes.get(each.name, getattr(obj, each.name)) for each in every}
    return type(obj)(**values)


def asdict(obj: object) -> dict[str, Any]:
    """The record ``obj`` as a dict, records, lists, tuples and dicts in it converted too."""
    return {each.name: _plain(getattr(obj, each.name)) for each in _record_fields(obj)}


def _plain(value: Any) -> Any:
    if hasattr(type(value), "__record_fields__"):
        return asdict(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(each) for each in value)
    if isinstance(value, dict):
        return {_plain(key): _plain(each) for key, each in value.items()}
    return value
