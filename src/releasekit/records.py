"""Records: frozen dataclasses at a sixth of the cost of defining one.

``dataclass(frozen=True)`` compiles six functions for each class with ``exec``: ``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__``, about half a
millisecond a class on Python 3.11. With the hundred-odd records releasekit is made of, that
was a third of what a command spends importing (docs/decisions.md). ``frozen`` compiles one:
an ``__init__`` that writes each field straight into the instance's ``__dict__`` (as fast as
the frozen one, which calls ``object.__setattr__`` for each), and gives the class the other five
as closures over tables made once for the class: the fields shown, compared and hashed (read
through one ``operator.attrgetter``), and the names whose assignment is refused.

A record is a dataclass to everything that asks (``dataclasses.fields``, ``replace`` and
``asdict``; mypy, through ``dataclass_transform``), and frozen as ``frozen=True`` makes it:
assigning or deleting an attribute of a record raises ``FrozenInstanceError``. Fields may have
defaults and default factories; the rarer dataclass features (``InitVar``, ``kw_only``,
``init=False``) are refused when the class is defined, so that nothing silently differs.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, cast, dataclass_transform

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_T = TypeVar("_T")


def _values(names: tuple[str, ...]) -> Any:
    """A function giving an object's values of ``names`` as a tuple, in C where it can."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return lambda self: ()


def _init(cls: type, every: tuple[Field[Any], ...]) -> Any:
    """The ``__init__`` of ``cls``: its fields in order, defaults and factories as declared."""
    declared: dict[str, Field[Any]] = cls.__dataclass_fields__  # type: ignore[attr-defined]
    for name, each in declared.items():
        if "InitVar" in str(each.type):
            raise TypeError(f"{cls.__qualname__}.{name}: a record takes no InitVar")
    # Every name of its own is a dunder no field is named like: a field may be "self" or "fields".
    names: dict[str, Any] = {"__record_missing__": MISSING}
    parameters: list[str] = []
    lines: list[str] = []
    for each in every:
        name = each.name
        if not each.init or each.kw_only is True:
            raise TypeError(f"{cls.__qualname__}.{name}: a record field takes no init or kw_only")
        if each.default_factory is not MISSING:
            names[f"__record_factory_{name}__"] = each.default_factory
            parameters.append(f"{name}=__record_missing__")
            lines.append(f"  if {name} is __record_missing__: {name} = __record_factory_{name}__()")
        elif each.default is not MISSING:
            names[f"__record_default_{name}__"] = each.default
            parameters.append(f"{name}=__record_default_{name}__")
        else:
            parameters.append(name)
        lines.append(f"  __record_fields__[{name!r}] = {name}")
    post_init = "  __record_self__.__post_init__()\n" if hasattr(cls, "__post_init__") else ""
    source = (
        f"def __init__(__record_self__, {', '.join(parameters)}):\n"
        "  __record_fields__ = __record_self__.__dict__\n" + "\n".join(lines) + "\n" + post_init
    )
    exec(source, names)  # noqa: S102  # the source is made above from the class's field names
    function = names["__init__"]
    function.__qualname__ = f"{cls.__qualname__}.__init__"
    return function


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def frozen(cls: type[_T]) -> type[_T]:
    """``cls`` as a frozen dataclass with one generated function (see the module)."""
    made = dataclass(cls, init=False, repr=False, eq=False)
    every = fields(cast("type[DataclassInstance]", made))
    shown = tuple(each.name for each in every if each.repr)
    compared = _values(tuple(each.name for each in every if each.compare))
    hashed = _values(
        tuple(each.name for each in every if (each.compare if each.hash is None else each.hash))
    )
    names = frozenset(each.name for each in every)

    def __repr__(self: object) -> str:
        parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({parts})"

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(compared(self) == compared(other))

    def __hash__(self: object) -> int:
        return hash(hashed(self))

    def __setattr__(self: object, name: str, value: object) -> None:
        if type(self) is made or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(made, self).__setattr__(name, value)  # type: ignore[misc]

    def __delattr__(self: object, name: str) -> None:
        if type(self) is made or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(made, self).__delattr__(name)  # type: ignore[misc]

    own = vars(made)
    for name, method in (
        ("__init__", _init(made, every)),
        ("__repr__", __repr__),
        ("__eq__", __eq__),
        ("__hash__", __hash__),
        ("__setattr__", __setattr__),
        ("__delattr__", __delattr__),
    ):
        if name not in own or (name == "__hash__" and own[name] is None):
            setattr(made, name, method)
    return made
