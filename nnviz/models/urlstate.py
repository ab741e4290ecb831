"""Frozen configs <-> URL query parameters, so a copied link reproduces an experiment.

Any frozen dataclass whose fields are str, int, float, bool, tuples of ints, tuples of names
(a non-empty default: the input features, "x1-x2"), nested dataclasses or a tuple of dataclasses
(the runs) round-trips:

    encode(Experiment(...))  ->  {"dataset": "moons", "samples": "300", ..., "optimizer": "gd,adam",
                                  "hidden": "5-2,5-2", "lr": "0.01,0.001", ...}
    decode(Experiment, params, default)  ->  (experiment, warnings)

Nested dataclass fields are flattened to their own names (``aliases`` renames a clash, e.g. the
data set's ``name`` becomes ``dataset``); a tuple of dataclasses puts one comma-separated value per
element under each field name. Decoding never raises: an unknown, malformed or out-of-range value
falls back to the default and adds a one-line warning for the page to show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

ListParams = Mapping[str, "str | list[str]"]


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse(text: str, like: Any) -> Any:
    """``text`` read as the type of ``like`` (the default value); ValueError if it isn't."""
    text = text.strip()
    if isinstance(like, bool):
        if text.lower() not in ("0", "1", "true", "false"):
            raise ValueError(f"expected 0 or 1, got {text!r}")
        return text.lower() in ("1", "true")
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    if isinstance(like, tuple) and like and isinstance(like[0], str):  # names: x1-x2-x1^2
        return tuple(text.split("-"))
    if isinstance(like, tuple):
        return tuple(int(p) for p in text.split("-")) if text else ()
    return text


def _any_parses(texts: list[str], like: Any) -> bool:
    """Whether any of ``texts`` reads as the type of ``like``."""
    for part in texts:
        try:
            _parse(part, like)
            return True
        except ValueError:
            pass
    return False


def _is_dc(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _is_dc_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) > 0 and all(_is_dc(v) for v in value)


def encode(obj: Any, aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every field of ``obj`` as a query parameter (all of them: links survive new defaults)."""
    aliases = aliases or {}
    out: dict[str, str] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if _is_dc(value):
            out.update(encode(value, aliases))
        elif _is_dc_tuple(value):
            for g in dataclasses.fields(value[0]):
                key = aliases.get(g.name, g.name)
                out[key] = ",".join(_fmt(getattr(v, g.name)) for v in value)
        else:
            out[aliases.get(f.name, f.name)] = _fmt(value)
    return out


def decode(
    cls: type,
    params: ListParams,
    default: Any,
    aliases: Mapping[str, str] | None = None,
    max_items: int = 4,
) -> tuple[Any, list[str]]:
    """Rebuild a ``cls`` from query parameters; a bad value falls back to ``default``, warned."""
    aliases = aliases or {}
    flat = {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items()}
    warnings: list[str] = []
    used: set[str] = set()
    obj = _decode(cls, flat, default, aliases, max_items, warnings, used)
    warnings += [f"ignored unknown URL parameter {k!r}" for k in sorted(set(flat) - used)]
    return obj, warnings


def _decode(cls, flat, default, aliases, max_items, warnings, used) -> Any:
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        like = getattr(default, f.name)
        if _is_dc(like):
            kwargs[f.name] = _decode(type(like), flat, like, aliases, max_items, warnings, used)
        elif _is_dc_tuple(like):
            kwargs[f.name] = _decode_items(like, flat, aliases, max_items, warnings, used)
        else:
            key = aliases.get(f.name, f.name)
            kwargs[f.name] = _field(key, flat, like, warnings, used)
    return _build(cls, kwargs, default, warnings)


def _field(key: str, flat: Mapping[str, str], like: Any, warnings: list[str], used: set) -> Any:
    if key not in flat:
        return like
    used.add(key)
    try:
        return _parse(flat[key], like)
    except ValueError:
        warnings.append(f"URL parameter {key}={flat[key]!r} is malformed; using {_fmt(like)!r}")
        return like


def _build(cls: type, kwargs: dict[str, Any], default: Any, warnings: list[str]) -> Any:
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        # out of range: keep every field that is valid on its own, reset the ones that aren't
        fixed = dict(kwargs)
        for name, value in kwargs.items():
            try:
                cls(**{**_fields_of(default), name: value})
            except (ValueError, TypeError) as one:
                warnings.append(f"URL value out of range ({one}); using the default")
                fixed[name] = getattr(default, name)
        try:
            return cls(**fixed)
        except (ValueError, TypeError):
            warnings.append(f"URL settings are inconsistent ({exc}); using the defaults")
            return default


def _fields_of(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _decode_items(likes, flat, aliases, max_items, warnings, used) -> tuple:
    """A tuple of dataclasses (the runs), one comma-separated value per item under each field.

    How many items: the longest list with a usable value. A list with none (lr=abc) is ignored
    as a whole, with one warning, so the default's items stay, as that warning says.
    """
    item_cls = type(likes[0])
    kinds = {
        aliases.get(g.name, g.name): getattr(likes[0], g.name) for g in dataclasses.fields(item_cls)
    }
    given = {k: flat[k].split(",") for k in kinds if k in flat}
    used.update(given)
    for k in [k for k, values in given.items() if not _any_parses(values, kinds[k])]:
        warnings.append(f"URL parameter {k}={flat[k]!r} is malformed; ignored")
        del given[k]
    n = max((len(values) for values in given.values()), default=len(likes))
    if n > max_items:
        warnings.append(f"the URL asks for {n} runs; showing the first {max_items}")
        n = max_items
    items = []
    for i in range(n):
        like = likes[min(i, len(likes) - 1)]
        column = {k: values[i] for k, values in given.items() if i < len(values)}
        items.append(_decode(item_cls, column, like, aliases, max_items, warnings, set()))
    return tuple(items)
