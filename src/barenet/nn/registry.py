"""Name → class registries: how a string in a config becomes an object.

Explicit tables, never ``globals()`` or ``getattr`` on a user's string. An unknown name is a
``ValueError`` that lists the valid names.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Named:
    """An object a registry builds by name (an activation, loss, initializer, optimizer or
    schedule). ``get_config()`` is ``{"name": ...}`` plus the constructor arguments: what the
    registry's ``build`` takes to make an equal object again; ``repr`` shows those arguments."""

    name = "named"

    def get_config(self) -> dict[str, Any]:
        """``{"name": ...}`` plus any argument, for the registry to rebuild it."""
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Registry(Generic[T]):
    """Names (and aliases) of one kind of object (``"activation"``, ``"loss"`` ...) → classes.

    ``build`` makes an instance from a name, a ``{"name": ..., **kwargs}`` config or an instance."""

    def __init__(
        self, kind: str, classes: dict[str, type[T]], aliases: dict[str, str] | None = None
    ) -> None:
        self.kind = kind
        self.classes = dict(classes)
        self.aliases = dict(aliases or {})

    def register(self, name: str, cls: type[T]) -> None:
        """Add ``cls`` under ``name`` (lower case); a name already taken is an error."""
        key = name.lower()
        if key in self.classes and self.classes[key] is not cls:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self.classes[key] = cls

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self.classes)

    def lookup(self, name: str) -> type[T]:
        """The class registered as ``name`` (case-insensitive, aliases resolved); ``ValueError``
        listing the valid names if there is none."""
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} name must be a string, got {type(name).__name__}")
        key = self.aliases.get(name.lower(), name.lower())
        try:
            return self.classes[key]
        except KeyError:
            valid = ", ".join(repr(n) for n in self.names())
            raise ValueError(f"unknown {self.kind} {name!r}; valid names are {valid}") from None

    def build(self, spec: str | dict[str, Any] | T) -> T:
        """An instance from a name, a ``{"name": ..., **kwargs}`` config, or an instance."""
        if isinstance(spec, str):
            return self.lookup(spec)()
        if isinstance(spec, dict):
            if "name" not in spec:
                raise ValueError(f"{self.kind} config needs a 'name' key, got {spec!r}")
            kwargs = {k: v for k, v in spec.items() if k != "name"}
            cls = self.lookup(spec["name"])
            try:
                return cls(**kwargs)
            except TypeError as exc:
                raise ValueError(f"bad arguments for {self.kind} {spec['name']!r}: {exc}") from None
        if isinstance(spec, tuple(self.classes.values())):
            return spec
        raise TypeError(
            f"{self.kind} must be a name, a config dict or an instance, got {type(spec).__name__}"
        )
