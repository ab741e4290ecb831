"""benchmarks/mutants.py still plants its faults: every patch matches today's trainer source.

Cheap (no suite run): each patch applies exactly once, changes the source, and the result is
still valid Python. Running the mutants is ``python -m benchmarks.mutants``.
"""

import pytest

from benchmarks import mutants


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_each_patch_still_applies_to_the_current_trainer(mutant):
    source = (mutants.ROOT / mutant.target).read_text()
    patched = mutant.apply(source)
    assert patched != source
    compile(patched, mutant.target, "exec")


def test_a_stale_patch_fails_loudly():
    stale = mutants.Mutant("MX", "nothing", (("this text is not in train.py", "x"),))
    with pytest.raises(mutants.PatchError, match="MX: expected exactly one"):
        stale.apply((mutants.ROOT / mutants.TARGET).read_text())


def test_every_listed_fault_is_planted_and_the_tests_exist():
    assert [m.name for m in mutants.MUTANTS] == [
        *("M1", "M2", "M3", "M7", "M4", "M5", "M6", "M8"),
        *("BN1", "BN2", "BN3"),
        *("M9", "M10"),
        "S1",
    ]
    assert all((mutants.ROOT / name).is_file() for name in mutants.TESTS)
