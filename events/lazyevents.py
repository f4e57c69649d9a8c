"""An aggregate's event classes built on first use, not when the aggregate's class is made.

The library's ``@event`` builds a frozen dataclass per decorated method (and
again per explicit event class, redefined under the aggregate's ``Event``)
when the aggregate's class statement runs: about 4.6 M instructions each,
some 190 M for ``Complaint``'s thirty-odd events, the biggest part of a
writing command's start-up, of which a ``note`` uses two or three. Here
the same classes are built when first needed: when a command triggers one,
or when the library's mapper resolves a stored topic.

The classes are the library's: subclasses of the aggregate's ``Event``
(so frozen dataclasses made by its metaclass), with the same topic
(``TOPIC``), the same fields in the same order (a stored event's bytes do
not change) and registered with the library's topic cache; they are
triggered through the aggregate's ``trigger_event`` and saved through the
application, the mapper and the recorder as before. Two ways to declare one:

- :func:`lazy_event` on a method, in place of ``@event(name, topic=...)``:
  the method's parameters are the fields, its body applies the event (as the
  library's decorator does: an old event without a defaulted field gets the
  parameter's default);
- a subclass of :class:`EventSpec` with the fields annotated (defaults allowed)
  and an ``apply(self, aggregate)``, in place of a class of ``Aggregate.Event``.

:func:`install` (after the aggregate's class statement) gathers them and
registers the topics' prefix (``complaints``) with the library, so that the
mapper's ``resolve_topic("complaints:Noted")`` builds ``Noted`` on the spot.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, ClassVar, TypeVar

from eventsourcing.utils import _topic_cache, register_topic

F = TypeVar("F", bound=Callable[..., None])

#: The modules of the other aggregates whose topics share the prefix: imported when the
#: mapper meets one of their topics before the module was (a command that did not need
#: them, reading every kind of event).
AGGREGATE_MODULES = (
    "events.customers",
    "events.numbering",
    "events.groups",
    "events.handover",
    "events.imports",
    "events.settings",
)


class EventSpec:
    """An event class to build on first use: fields annotated, ``apply(self, aggregate)``.

    ``TOPIC`` is the stored topic; the class's name is the event's.
    """

    TOPIC: ClassVar[str]

    def apply(self, aggregate: Any) -> None:
        """Apply the event to the aggregate (what the rules read later)."""


class LazyEvent:
    """A method whose event class is built on first use (see :func:`lazy_event`)."""

    def __init__(self, name: str, topic: str, func: Callable[..., None]) -> None:
        self.name = name
        self.topic = topic
        self.func = func
        code = func.__code__
        #: The fields, in the method's order (the library's: its signature's).
        self.params = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
        positional = code.co_varnames[1 : code.co_argcount]
        defaults = func.__defaults__ or ()
        start = len(positional) - len(defaults)
        self.defaults: dict[str, Any] = dict(zip(positional[start:], defaults, strict=True))
        self.defaults.update(func.__kwdefaults__ or {})

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return lambda **kwargs: self.trigger(obj, kwargs)

    def trigger(self, obj: Any, kwargs: dict[str, Any]) -> None:
        """Trigger the event on ``obj`` (the library's ``trigger_event``), defaults filled in."""
        values = {**self.defaults, **kwargs}
        obj.trigger_event(
            event_class(type(obj), self.name),
            **{k: values[k] for k in self.params if k in values},
        )

    def namespace(self) -> dict[str, Any]:
        """The class body: the fields annotated as the library's decorator annotates them."""
        func = self.func
        params = frozenset(self.params)
        notes = func.__annotations__

        def apply(event: Any, aggregate: Any) -> None:
            # As the library's DecoratedFuncCaller: the event's fields the method takes.
            func(aggregate, **{k: v for k, v in event.__dict__.items() if k in params})

        apply.__qualname__ = f"{self.name}.apply"
        return {
            "__annotations__": {p: notes.get(p, "typing.Any") for p in self.params},
            "__doc__": func.__doc__,
            "apply": apply,
        }


def lazy_event(name: str, *, topic: str) -> Callable[[F], F]:
    """``@event(name, topic=topic)``, with the event class built on first use."""

    def decorate(func: F) -> F:
        return LazyEvent(name, topic, func)  # type: ignore[return-value]

    return decorate


def _spec_namespace(spec: type[EventSpec]) -> dict[str, Any]:
    """The body of a class from an :class:`EventSpec`: its fields, defaults and methods."""
    ns = {k: v for k, v in vars(spec).items() if not k.startswith("__") or k == "__doc__"}
    ns["__annotations__"] = inspect.get_annotations(spec)
    ns.pop("TOPIC", None)
    return ns


#: topic -> (aggregate class, declaration): every lazily built event class known.
_DECLARED: dict[str, tuple[type, LazyEvent | type[EventSpec]]] = {}
#: (aggregate class, event name) -> topic.
_NAMES: dict[tuple[type, str], str] = {}


def event_class(aggregate: type, name: str) -> Any:
    """The aggregate's event class ``name``, built now if it was not yet."""
    built = aggregate.__dict__.get(name)
    if isinstance(built, type) and not issubclass(built, EventSpec):
        return built
    return _build(_NAMES[(aggregate, name)])


#: One class per topic, also when two threads meet it at once.
_BUILDING = threading.Lock()


def _build(topic: str) -> Any:
    cached = _topic_cache.get(topic)
    if cached is not None:
        return cached
    with _BUILDING:
        cached = _topic_cache.get(topic)
        return cached if cached is not None else _build_now(topic)


def _build_now(topic: str) -> Any:
    aggregate, decl = _DECLARED[topic]
    if isinstance(decl, LazyEvent):
        name, ns = decl.name, decl.namespace()
    else:
        name, ns = decl.__name__, _spec_namespace(decl)
    ns.update(
        __module__=aggregate.__module__,
        __qualname__=f"{aggregate.__qualname__}.{name}",
        TOPIC=topic,
    )
    base: Any = aggregate.Event  # type: ignore[attr-defined]
    cls = type(name, (base,), ns)  # the library's metaclass: a frozen dataclass
    setattr(aggregate, name, cls)
    register_topic(topic, cls)
    return cls


class _Prefix(ModuleType):
    """What the library's ``resolve_topic`` finds for a topic's module part (``complaints``):
    its attribute ``Noted`` is the class of ``complaints:Noted``, built if need be."""

    def __init__(self, prefix: str) -> None:
        super().__init__(prefix)
        self.prefix = prefix

    def __getattr__(self, name: str) -> Any:
        topic = f"{self.prefix}:{name}"
        for module in (None, *AGGREGATE_MODULES):  # else another aggregate's, not imported yet
            if module is not None:
                importlib.import_module(module)
            if topic in _DECLARED:
                return _build(topic)
            if topic in _topic_cache:
                return _topic_cache[topic]
        raise AttributeError(f"no event class has the topic {topic!r}")


def install(aggregate: type, declarations: tuple[type[EventSpec], ...] = ()) -> None:
    """Gather the aggregate's lazy events (its and its bases' :func:`lazy_event` methods,
    and ``declarations``) and register their topics' prefix with the library."""
    found: list[tuple[str, str, LazyEvent | type[EventSpec]]] = []
    for klass in reversed(aggregate.__mro__):
        for value in vars(klass).values():
            if isinstance(value, LazyEvent):
                found.append((value.name, value.topic, value))
    found += [(spec.__name__, spec.TOPIC, spec) for spec in declarations]
    for name, topic, decl in found:
        if topic in _DECLARED or topic in _topic_cache:
            raise TypeError(f"topic {topic!r} is declared twice")
        _DECLARED[topic] = (aggregate, decl)
        _NAMES[(aggregate, name)] = topic
        prefix = topic.partition(":")[0]
        if prefix not in _topic_cache:
            register_topic(prefix, _Prefix(prefix))


def build_all(aggregate: type) -> None:
    """Build every lazily declared event class of the aggregate now (for code that lists
    the aggregate's classes: the message catalog, tests), so ``vars(aggregate)`` has them."""
    for topic in sorted(declared_topics(aggregate)):
        _build(topic)


def declared_topics(aggregate: type) -> frozenset[str]:
    """The topics of the aggregate's lazily built events (built or not)."""
    return frozenset(t for t, (agg, _) in _DECLARED.items() if agg is aggregate)
