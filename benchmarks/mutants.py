"""The mutation check: plant each known fault in a scratch copy of the trainer, run the fast tests.

    python -m benchmarks.mutants            # markdown table: fault | what was changed | caught?
    python -m benchmarks.mutants --all      # name every test that catches each fault (slower)
    python -m benchmarks.mutants M1 M4      # only these faults

The repository's tracked files (``git ls-files``) are copied into a temporary directory; the copy
is tested once unchanged (it must pass, or nothing below means anything), then once per fault, each
an exact source patch of nnviz/engine/train.py or of the file the mutant names. A patch that no
longer matches the source fails loudly (tests/test_mutants.py checks that cheaply on every test
run). The tests run are the fast engine ones, not the browser or lesson tests. Exit status 1 when a
fault survives.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = "nnviz/engine/train.py"
# the dedicated tests first: with -x the first failure names the test written for the fault
TESTS = (
    "tests/test_batchnorm.py",
    "tests/test_train_phases.py",
    "tests/test_sklearn_reference.py",
    "tests/test_train.py",
    "tests/test_network.py",
    "tests/test_l1.py",
    "tests/test_features.py",
    "tests/test_softmax.py",
)


class PatchError(RuntimeError):
    """A mutant's patch no longer matches the source it was written for."""


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str  # the fault, in the course's words
    patches: tuple[tuple[str, str], ...]  # (exact old text, new text), each old text found once
    target: str = TARGET  # the file patched

    def apply(self, source: str) -> str:
        for old, new in self.patches:
            found = source.count(old)
            if found != 1:
                raise PatchError(
                    f"{self.name}: expected exactly one {old.strip()!r} in {self.target},"
                    f" found {found}"
                    " — update benchmarks/mutants.py to the new source"
                )
            source = source.replace(old, new)
        return source


MASKS = "dropout_masks(rng, setup.keep, hidden, Xb.shape[-1])"
MUTANTS = (
    Mutant(
        "M1",
        "dW's L2 term (λ/m)·W with m = the mini-batch size → m = the whole training set",
        (
            (
                "g, m = work.grad, Xb.shape[-1]  # m: this batch's size",
                "g, m = work.grad, setup.X1.shape[-1]",
            ),
        ),
    ),
    Mutant(
        "M2",
        "inverted dropout D / keep_prob → D (not divided)",
        (("(rng.random((n, B)) < keep) / keep for n", "(rng.random((n, B)) < keep) * 1.0 for n"),),
    ),
    Mutant(
        "M3",
        "a permutation every epoch → never shuffle",
        (("    if shuffle:\n        order = ", "    if False:\n        order = "),),
    ),
    Mutant(
        "M7",
        "a new permutation every epoch → the same one every epoch",
        (("order = rng.permutation(m)", "order = np.random.default_rng(0).permutation(m)"),),
    ),
    Mutant(
        "M4",
        "t counts mini-batch updates → t counts epochs",
        (
            (  # the state is told t = epoch - 1 before each update, which counts it as the epoch
                "rule.state, rule.hyper)",
                "rule.state._replace(t=group.progress.epoch - 1), rule.hyper)",
            ),
        ),
    ),
    Mutant(
        "M5",
        "a fresh dropout mask every step → one mask per batch width, forever",
        ((MASKS, f"group.__dict__.setdefault(('D', Xb.shape[-1]), {MASKS})"),),
    ),
    Mutant(
        "M6",
        "L2 gradient on weights only → on biases too",
        (
            (
                "(setup.lambd / m) * (now.theta * setup.layout.weight_mask)",
                "(setup.lambd / m) * now.theta",
            ),
        ),
    ),
    Mutant(
        "M8",
        "θ checked for divergence after every epoch → only at recorded epochs",
        (
            (
                "if not math.isfinite(now.theta.sum()):",
                "if now.epoch in now.rec.wanted and not math.isfinite(now.theta.sum()):",
            ),
        ),
    ),
    Mutant(
        "BN1",
        "batch norm evaluates with the batch's statistics, not the running averages",
        (
            (
                "self.layout.eval_blocks(theta, eps)  # running μ, σ²: never the set's own",
                "self.layout.blocks(theta)",
            ),
            (
                "train = self._evaluate(Wb, *self.train_set)",
                "self.bn_now = self.layout.norm(theta, self.bn_eps[self.rows])\n"
                "        train = self._evaluate(Wb, *self.train_set)",
            ),
            (
                "work=self.work[R, B], sigma=False)",
                "work=self.work[R, B], sigma=False, norm=getattr(self, 'bn_now', None))",
            ),
        ),
        "nnviz/engine/history.py",
    ),
    Mutant(
        "BN2",
        "L2 penalises γ as if it were a weight",
        (
            (
                "mask[0, self.slices[-1].stop :] = 0.0",
                "mask[0, self.slices[-1].stop :] = 0.0\n"
                "        for gamma, *_rest in self.norms(mask)[1:]:\n"
                "            gamma[...] = 1.0",
            ),
        ),
        "nnviz/engine/network.py",
    ),
    Mutant(
        "BN3",
        "running averages weigh the old value by ρ, the new batch by 1 − ρ (conventions mixed)",
        (("scratch *= weight", "scratch *= 1.0 - weight"),),
        "nnviz/engine/batchnorm.py",
    ),
    Mutant(
        "M9",
        "L1's sign(W) with sign(0) = 0 → sign(0) = 1 (a weight at 0 is pushed off it)",
        (
            (
                "l1_gradient(now.theta, setup.layout.weight_mask)",
                "(np.where(now.theta >= 0, 1.0, -1.0) * setup.layout.weight_mask)",
            ),
        ),
    ),
    Mutant(
        "M10",
        "every input feature → the last feature's column dropped (left at 0)",
        (
            (
                "return np.stack([FEATURES[name].row(x1, x2) for name in features])",
                "return np.stack([FEATURES[n].row(x1, x2) * (n != features[-1])"
                " for n in features])",
            ),
        ),
        "nnviz/engine/features.py",
    ),
    Mutant(
        "S1",
        "softmax and log-sum-exp without the max-shift: exp(Z) overflows for large logits",
        (
            (
                "out = np.subtract(Z, Z.max(axis=-2, keepdims=True), out=out)",
                "out = np.subtract(Z, 0.0, out=out)",
            ),
            ("    top = Z.max(axis=-2, keepdims=True)\n", "    top = 0.0\n"),
        ),
        "nnviz/engine/network.py",
    ),
)


def copy_repo(dest: Path) -> None:
    """The tracked files of the working tree (as they are now) into ``dest``."""
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def run_tests(where: Path, first_only: bool) -> tuple[bool, list[str], float]:
    """(passed, failing test ids, seconds) of the fast engine tests in the copy."""
    cmd = [sys.executable, "-m", "pytest", "-q", "--tb=no", "-p", "no:cacheprovider"]
    cmd += ["-m", "not browser and not lesson", *(["-x"] if first_only else []), *TESTS]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    begin = time.perf_counter()
    done = subprocess.run(cmd, cwd=where, capture_output=True, text=True, env=env)
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, flags=re.MULTILINE)
    if done.returncode not in (0, 1) or (done.returncode == 1 and not failed):
        raise RuntimeError(f"pytest could not run (exit {done.returncode}):\n{done.stdout[-2000:]}")
    return done.returncode == 0, failed, time.perf_counter() - begin


def check(mutants: tuple[Mutant, ...], first_only: bool) -> list[tuple[Mutant, list[str], float]]:
    """Each mutant with the tests that failed on it (empty: it survived)."""
    with tempfile.TemporaryDirectory(prefix="nnviz-mutants-") as tmp:
        where = Path(tmp)
        copy_repo(where)
        originals = {m.target: (where / m.target).read_text() for m in mutants}
        patched = {m.name: m.apply(originals[m.target]) for m in mutants}  # all apply, or stop
        passed, failed, seconds = run_tests(where, first_only)
        if not passed:
            raise RuntimeError(f"the unchanged copy fails {failed}: fix the suite first")
        print(f"unchanged copy: the tests pass ({seconds:.0f} s)", file=sys.stderr)
        results = []
        for m in mutants:
            (where / m.target).write_text(patched[m.name])
            passed, failed, seconds = run_tests(where, first_only)
            (where / m.target).write_text(originals[m.target])
            print(
                f"{m.name}: {'caught' if failed else 'SURVIVED'} ({seconds:.0f} s)", file=sys.stderr
            )
            results.append((m, failed, seconds))
        return results


def markdown(results: list[tuple[Mutant, list[str], float]]) -> str:
    lines = ["| fault | what was changed | caught? (by) |", "|---|---|---|"]
    for m, failed, _seconds in results:
        tests = dict.fromkeys(name.split("/")[-1].split("[")[0] for name in failed)  # no params
        by = ", ".join(f"`{name}`" for name in tests)
        lines.append(f"| {m.name} | {m.what} | {'yes: ' + by if failed else '**no**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.mutants", description=__doc__.split("\n")[0]
    )
    p.add_argument("faults", nargs="*", help="only these (M1 .. M10, S1); default: all")
    p.add_argument("--all", action="store_true", help="run every test on each mutant, name all")
    args = p.parse_args(argv)
    known = {m.name: m for m in MUTANTS}
    unknown = [f for f in args.faults if f not in known]
    if unknown:
        p.error(f"unknown fault(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    chosen = tuple(known[f] for f in args.faults) if args.faults else MUTANTS
    results = check(chosen, first_only=not args.all)
    print(markdown(results))
    return 0 if all(failed for _m, failed, _s in results) else 1


if __name__ == "__main__":
    sys.exit(main())
