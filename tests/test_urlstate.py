"""nnviz.models.urlstate: any frozen dataclass <-> query parameters, on dataclasses of its own.

The lab's and the playground's configs are tested through their pages (test_app.py,
test_playground_app.py); these small classes pin the generic rules: nested dataclasses flatten,
a tuple of dataclasses is one comma-separated value per item, aliases rename a clash, max_items
caps the items, and nothing malformed ever raises.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from nnviz.models.urlstate import decode, encode


@dataclass(frozen=True)
class Part:
    tag: str = "a"
    width: int = 3
    scale: float = 0.5
    on: bool = True
    sizes: tuple[int, ...] = (2, 1)

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 1:
            raise ValueError(f"scale must be in (0, 1], got {self.scale}")


@dataclass(frozen=True)
class Inner:
    name: str = "inner"
    depth: int = 1


@dataclass(frozen=True)
class Whole:
    inner: Inner = Inner()
    parts: tuple[Part, ...] = (Part(), Part(tag="b", scale=1.0))
    seed: int = 0


ALIASES = {"name": "label"}  # a field renamed in the URL (the lab: the data set's name)


def round_trip(obj: Whole, max_items: int = 4) -> tuple[Whole, list[str]]:
    return decode(Whole, encode(obj, ALIASES), Whole(), ALIASES, max_items=max_items)


def test_every_field_of_nested_and_repeated_dataclasses_round_trips():
    obj = Whole(
        Inner("deep", 4),
        (Part("x", 7, 0.25, False, (5, 4, 3)), Part("y", 1, 1.0, True, ()), Part()),
        seed=9,
    )
    assert round_trip(obj) == (obj, [])


def test_the_encoding_is_flat_one_value_per_item_and_aliased():
    params = encode(Whole(), ALIASES)
    assert params["label"] == "inner"  # the alias
    assert params["width"] == "3,3" and params["scale"] == "0.5,1.0"
    assert params["sizes"] == "2-1,2-1" and params["on"] == "1,1"
    assert set(params) == {"label", "depth", "tag", "width", "scale", "on", "sizes", "seed"}


def test_floats_survive_to_the_last_bit():
    obj = Whole(parts=(Part(scale=0.1 + 0.2),))
    assert round_trip(obj)[0].parts[0].scale == 0.1 + 0.2


def test_max_items_keeps_the_first_ones_and_says_so():
    obj = Whole(parts=tuple(Part(width=w) for w in range(1, 7)))
    back, warnings = round_trip(obj, max_items=4)
    assert [p.width for p in back.parts] == [1, 2, 3, 4]
    assert warnings == ["the URL asks for 6 runs; showing the first 4"]


def test_a_short_list_gives_that_many_items_missing_fields_from_the_default_items():
    back, warnings = decode(Whole, {"width": "8"}, Whole(), ALIASES)
    assert back.parts == (Part(width=8),) and warnings == []
    back, _ = decode(Whole, {"width": "8,9,10"}, Whole(), ALIASES)
    assert [p.tag for p in back.parts] == ["a", "b", "b"]  # the last default item repeats


@pytest.mark.parametrize(
    "params, expected, needle",
    [
        ({"depth": "deep"}, Whole(), "depth='deep' is malformed"),
        ({"seed": "1.5"}, Whole(), "seed='1.5' is malformed"),
        ({"on": "maybe"}, Whole(), "on='maybe' is malformed"),
        ({"width": "abc"}, Whole(), "width='abc' is malformed; ignored"),  # the default items
        ({"scale": "2.0"}, Whole(parts=(Part(),)), "scale must be in (0, 1]"),
        ({"colour": "red"}, Whole(), "ignored unknown URL parameter 'colour'"),
    ],
)
def test_bad_values_fall_back_with_one_warning_each(params, expected, needle):
    back, warnings = decode(Whole, params, Whole(), ALIASES)
    assert back == expected
    assert len(warnings) == 1 and needle in warnings[0]


def test_one_bad_item_value_keeps_the_others():
    back, warnings = decode(Whole, {"width": "5,x"}, Whole(), ALIASES)
    assert [p.width for p in back.parts] == [5, 3]
    assert warnings == ["URL parameter width='x' is malformed; using '3'"]


def test_list_valued_parameters_use_their_last_value():
    back, _ = decode(Whole, {"seed": ["1", "2"]}, Whole(), ALIASES)
    assert back.seed == 2


@dataclass(frozen=True)
class Named:
    """A tuple of names (the lab's input features): "x1-x2" in the URL."""

    names: tuple[str, ...] = ("x1", "x2")
    sizes: tuple[int, ...] = (3,)


def test_a_tuple_of_names_round_trips_and_a_missing_one_keeps_the_default():
    obj = Named(names=("x1^2", "sinx2"), sizes=())
    assert encode(obj) == {"names": "x1^2-sinx2", "sizes": ""}
    assert decode(Named, encode(obj), Named()) == (obj, [])
    assert decode(Named, {}, Named()) == (Named(), [])  # an old link: the default names
