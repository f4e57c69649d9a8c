"""Value classes without the cost of :mod:`dataclasses` at import time.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` (and
for a frozen one ``__setattr__``, ``__delattr__``, ``__hash__``) as source text
and compiles it: about 4-5 M instructions a class, and a reading command built
nineteen of them before it read a line (BENCHMARKS.md, issue 14, fourth round).
:func:`frozen` and :func:`record` make the same methods from closures over the
field names, with nothing compiled; type checkers see them as dataclasses
(:func:`typing.dataclass_transform`), so ``__init__`` is checked as one.

What they keep of ``@dataclass``: fields from the class's own annotations in
order (``ClassVar`` ones left out), defaults, :func:`field` with ``default``,
``default_factory`` and ``repr``; ``__repr__`` as ``Name(a=1, b='x')``;
``__eq__`` between instances of the same class, comparing the fields in
order; a frozen class refuses assignment and deletion
(:class:`FrozenInstanceError`) and hashes its fields, a mutable one is
unhashable. What they leave out: inheritance of fields, ``dataclasses.fields``
and ``dataclasses.replace`` (use :func:`replace`), ordering, slots, keyword-only
fields. Calls check arguments as ``__init__`` would (``TypeError``). Hot
classes built per line of a log keep a hand-written ``__init__`` instead (a
generic one is slower per instance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")

_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen value (as ``dataclasses`` raises it)."""


class _Field:
    __slots__ = ("compare", "default", "factory", "init", "repr")

    def __init__(self, default: Any, factory: Any, repr: bool, init: bool, compare: bool) -> None:
        self.default = default
        self.factory = factory
        self.repr = repr
        self.init = init
        self.compare = compare


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field's default (or its factory, called per instance), whether ``__init__``
    takes it, whether repr shows it and whether equality and the hash count it."""
    return _Field(default, default_factory, repr, init, compare)


def _is_classvar(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar", "Final"))


def _build(cls: type[T], is_frozen: bool) -> type[T]:
    annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 (inspect: costly)
    names: list[str] = []
    later: list[str] = []  # init=False: set from their default or factory
    compared: list[str] = []
    defaults: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    shown: list[str] = []
    for name, annotation in annotations.items():
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, _MISSING)
        show = compare = init = True
        if isinstance(value, _Field):
            show, compare, init = value.repr, value.compare, value.init
            if value.factory is not None:
                factories[name] = value.factory
            elif value.default is not _MISSING:
                defaults[name] = value.default
            value = value.default if value.factory is None else _MISSING
            if value is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value)
        elif value is not _MISSING:
            defaults[name] = value
        (names if init else later).append(name)
        if show:
            shown.append(name)
        if compare:
            compared.append(name)
    fields = tuple(names)
    rest = tuple(later)
    keys = tuple(compared)
    count = len(fields)
    qualname = cls.__qualname__
    setter = object.__setattr__

    post = cls.__dict__.get("__post_init__")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > count:
            raise TypeError(
                f"{qualname}.__init__() takes {count + 1} positional arguments "
                f"but {len(args) + 1} were given"
            )
        for i, name in enumerate(fields):
            if i < len(args):
                if name in kwargs:
                    raise TypeError(f"{qualname}.__init__() got multiple values for {name!r}")
                value = args[i]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif name in factories:
                value = factories[name]()
            elif name in defaults:
                value = defaults[name]
            else:
                raise TypeError(f"{qualname}.__init__() missing required argument: {name!r}")
            setter(self, name, value)
        for name in rest:
            setter(self, name, factories[name]() if name in factories else defaults[name])
        if kwargs:
            raise TypeError(
                f"{qualname}.__init__() got an unexpected keyword argument {next(iter(kwargs))!r}"
            )
        if post is not None:
            post(self)

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{qualname}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(getattr(self, n) for n in keys) == tuple(getattr(other, n) for n in keys)

    methods: dict[str, Any] = {
        "__init__": __init__,
        "__repr__": __repr__,
        "__eq__": __eq__,
        "__match_args__": fields,
        "__record_fields__": fields,  # what replace() copies
        "__hash__": None,  # as a mutable dataclass: unhashable
    }
    if is_frozen:

        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self: Any, name: str) -> None:
            raise FrozenInstanceError(f"cannot delete field {name!r}")

        def __hash__(self: Any) -> int:
            return hash(tuple(getattr(self, n) for n in keys))

        methods.update(__setattr__=__setattr__, __delattr__=__delattr__, __hash__=__hash__)
    for name, value in methods.items():
        setattr(cls, name, value)
    return cls


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[T]) -> type[T]:
    """As ``@dataclass(frozen=True)`` (see the module's text for what is kept)."""
    return _build(cls, True)


@dataclass_transform(field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """As ``@dataclass`` (see the module's text for what is kept)."""
    return _build(cls, False)


def replace(value: T, **changes: Any) -> T:
    """A copy of a :func:`frozen` or :func:`record` value with some fields changed."""
    names: tuple[str, ...] = value.__record_fields__  # type: ignore[attr-defined]
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    kwargs = {n: changes[n] if n in changes else getattr(value, n) for n in names}
    return type(value)(**kwargs)
