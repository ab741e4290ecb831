"""The class repository (docs/design.md §8): every refusal, the trust rules tried from outside,
and nothing lost when processes write at once or die. Each test runs on an SQLite file and on a
real PostgreSQL (tests/conftest.py)."""

import hashlib
import multiprocessing
import os
import signal

import pytest
import sqlalchemy as sa

from nnviz.store import ClassError, Classes, RateLimit, StoreError, clean_nickname, open_store
from nnviz.store import classes as module
from nnviz.store.database import make_engine
from tests.helpers import store_writers

NOW = 1_800_000_000.0
ANSWERS = ["Adam", "momentum", "plain GD"]
CELLS = ["a", "b", "c"]


@pytest.fixture
def store(database_url):
    return Classes(open_store(database_url), cap=5, lifetime=3600)


@pytest.fixture
def lesson(store):
    """A predict-then-reveal class: (its code, the teacher's secret)."""
    return store.create_class("predict", {"lesson": "optimizers"}, "Which wins?", ANSWERS, now=NOW)


@pytest.fixture
def grid(store):
    return store.create_class("grid", {"lesson": "l2"}, grid={"lambd": CELLS}, now=NOW)


def rows(store, table: str) -> list:
    with store.engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT * FROM {table}")).mappings().all()


def one_line_error(error: pytest.ExceptionInfo) -> str:
    assert "\n" not in str(error.value)
    return str(error.value)


# --- codes and secrets -----------------------------------------------------------------------


def test_the_secret_and_the_tokens_are_stored_only_as_digests(store, lesson):
    code, secret = lesson
    token = store.join(code, "Ann", now=NOW)
    assert len(code) == 6 and set(code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    (row,) = rows(store, "classes")
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    (student,) = rows(store, "students")
    assert student["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    everything = repr([*rows(store, "classes"), *rows(store, "students")])
    assert secret not in everything and token not in everything


@pytest.mark.parametrize("action", ["reveal", "close", "reopen", "delete", "export_rows", "board"])
def test_a_tampered_teacher_link_is_refused_and_changes_nothing(store, lesson, action):
    code, secret = lesson
    store.join(code, "Ann", now=NOW)
    before = rows(store, "classes")
    for tampered in (secret[:-1] + ("A" if secret[-1] != "A" else "B"), "", secret + "x"):
        with pytest.raises(ClassError, match=f"teacher link is not valid for class {code}") as e:
            getattr(store, action)(code, tampered)
        one_line_error(e)
    assert rows(store, "classes") == before and len(rows(store, "students")) == 1
    getattr(store, action)(code, secret)  # the real one works


def test_a_taken_code_is_drawn_again(store, monkeypatch):
    drawn = iter(["AAAAAA", "AAAAAA", "BBBBBB"])
    monkeypatch.setattr(module, "new_code", lambda: next(drawn))
    assert store.create_class("predict", {}, "Q", ANSWERS)[0] == "AAAAAA"
    assert store.create_class("predict", {}, "Q", ANSWERS)[0] == "BBBBBB"


def test_codes_are_random():
    codes = {module.new_code() for _ in range(200)}
    assert len(codes) == 200  # sequential or clock-based codes would repeat or run in order


# --- joining ---------------------------------------------------------------------------------


def test_join_refuses_each_case_with_one_line(store, lesson):
    code, secret = lesson
    store.join(code, "Ann", now=NOW)
    cases = {
        "there is no class with code ZZZZZZ": lambda: store.join("ZZZZZZ", "Bo", now=NOW),
        "nickname 'Ann' is taken": lambda: store.join(code, "  Ann\t", now=NOW),
        f"class {code} has expired": lambda: store.join(code, "Bo", now=NOW + 3600),
        "at least one visible character": lambda: store.join(code, " \x00\u200b ", now=NOW),
    }
    for message, attempt in cases.items():
        with pytest.raises(ClassError, match=message) as e:
            attempt()
        one_line_error(e)
    store.close(code, secret)
    with pytest.raises(ClassError, match=f"class {code} is closed"):
        store.join(code, "Bo", now=NOW)
    assert [r["nickname"] for r in rows(store, "students")] == ["Ann"]


def test_a_full_class_refuses_the_next_student(store, lesson):
    code, _ = lesson
    for n in range(5):
        store.join(code, f"s{n}", now=NOW)
    with pytest.raises(ClassError, match=f"class {code} is full \\(5 students\\)"):
        store.join(code, "one more", now=NOW)
    assert len(rows(store, "students")) == 5


def test_a_typed_code_is_read_without_case_or_spaces(store, lesson):
    code, _ = lesson
    token = store.join(f" {code[:3].lower()} {code[3:]} ", "Ann", now=NOW)
    assert store.student(token).code == code


def test_a_reload_comes_back_as_the_same_student(store, lesson):
    code, _ = lesson
    token = store.join(code, "Ann", now=NOW)
    store.answer(token, "Adam", now=NOW)
    assert store.student(token) == store.student(token)
    assert (store.student(token).nickname, store.student(token).answer) == ("Ann", "Adam")
    assert len(rows(store, "students")) == 1
    with pytest.raises(ClassError, match="student link is not valid"):
        store.student(token + "x")


def test_an_html_nickname_is_stored_as_text(store, lesson):
    code, _ = lesson
    token = store.join(code, "<script>alert(1)</script>", now=NOW)
    assert store.student(token).nickname == "<script>alert(1)</script>"[:24]
    assert rows(store, "students")[0]["nickname"] == "<script>alert(1)</script>"[:24]


def test_clean_nickname():
    assert clean_nickname("  Ann \t\n  Lee ") == "Ann Lee"
    assert clean_nickname("A\x00n\x1bn\u202e\u200b") == "Ann"  # controls, bidi override, zero-width
    assert clean_nickname("x" * 30) == "x" * 24
    assert clean_nickname("Zoë <b>") == "Zoë <b>"
    for empty in ("", "   ", "\x00\x07", "\u200b\u202e"):
        with pytest.raises(ClassError, match="at least one visible character"):
            clean_nickname(empty)


def test_a_thousand_rapid_joins_from_one_session_are_held_to_the_limit(store, lesson):
    code, _ = lesson
    clock = [0.0]
    limit = RateLimit(3, window=60, clock=lambda: clock[0])
    joined = 0
    for n in range(1000):
        clock[0] += 0.001
        if limit.allow("session-1"):
            store.join(code, f"s{n}", now=NOW)
            joined += 1
    assert joined == 3 and len(rows(store, "students")) == 3
    assert limit.allow("session-2")  # another session has its own allowance


# --- answers, cells and results ----------------------------------------------------------------


def test_answers_are_the_questions_and_final_at_the_reveal(store, lesson):
    code, secret = lesson
    ann, bo = store.join(code, "Ann", now=NOW), store.join(code, "Bo", now=NOW)
    store.answer(ann, "Adam", now=NOW)
    store.answer(ann, "momentum", now=NOW)  # changed her mind
    with pytest.raises(ClassError, match="'SGD' is not one of this question's answers"):
        store.answer(bo, "SGD", now=NOW)
    board = store.board(code, secret)
    assert (board.students, board.answered, board.answers) == (2, 1, None)  # counted, not shown
    store.reveal(code, secret)
    with pytest.raises(ClassError, match="has been revealed: answers are final"):
        store.answer(bo, "Adam", now=NOW)
    assert store.board(code).answers == (("Ann", "momentum"),)
    assert store.student(bo).answer is None


def test_cells_are_handed_round_robin_and_a_free_one_may_be_chosen(store, grid):
    code, _ = grid
    tokens = [store.join(code, f"s{n}", now=NOW) for n in range(5)]
    assert [store.assign_cell(t, CELLS, now=NOW) for t in tokens[:4]] == ["a", "b", "c", "a"]
    assert store.assign_cell(tokens[0], CELLS, now=NOW) == "a"  # a reload keeps the cell
    with pytest.raises(ClassError, match="cell 'b' is taken: choose a free one"):
        store.assign_cell(tokens[4], CELLS, choice="b", now=NOW)
    with pytest.raises(ClassError, match="'z' is not a cell"):
        store.assign_cell(tokens[4], CELLS, choice="z", now=NOW)
    assert store.assign_cell(tokens[1], CELLS, choice="b", now=NOW) == "b"  # one's own: fine
    assert store.assign_cell(tokens[2], ["a", "b", "c", "d"], choice="d", now=NOW) == "d"
    assert store.assign_cell(tokens[4], ["a", "b", "c", "d"], now=NOW) == "c"  # freed by s2


def test_a_student_cannot_touch_another_students_cell(store, grid):
    code, secret = grid
    ann, bo = store.join(code, "Ann", now=NOW), store.join(code, "Bo", now=NOW)
    assert (store.assign_cell(ann, CELLS, now=NOW), store.assign_cell(bo, CELLS, now=NOW)) == (
        "a",
        "b",
    )
    with pytest.raises(ClassError, match="cell 'a' is not yours \\(yours is 'b'\\)"):
        store.predict(bo, "a", "overfits", now=NOW)
    with pytest.raises(ClassError, match="cell 'a' is not yours"):
        store.save_result(bo, "a", {"accuracy": 0.1}, now=NOW)
    assert rows(store, "results") == [] and store.student(ann).prediction is None
    store.predict(ann, "a", "fits", now=NOW)
    assert store.save_result(ann, "a", {"accuracy": 0.9}, now=NOW) == {"accuracy": 0.9}
    (cell_a, cell_b) = store.board(code, secret).cells
    assert (cell_a.cell, cell_a.takers, cell_a.metrics, cell_a.ran_by) == (
        "a",
        (("Ann", "fits"),),
        {"accuracy": 0.9},
        "Ann",
    )
    assert (cell_b.metrics, store.board(code).cells) == (None, None)  # students: after the reveal


def test_a_cell_keeps_its_first_result(store, grid):
    code, secret = grid
    tokens = [store.join(code, f"s{n}", now=NOW) for n in range(4)]
    for t in tokens:
        store.assign_cell(t, CELLS, now=NOW)
    assert store.save_result(tokens[0], "a", {"accuracy": 0.9}, now=NOW) == {"accuracy": 0.9}
    assert store.save_result(tokens[3], "a", {"accuracy": 0.9}, now=NOW) == {"accuracy": 0.9}
    assert len(rows(store, "results")) == 1
    board = store.board(code, secret)
    assert [(c.cell, c.takers, c.ran_by) for c in board.cells] == [
        ("a", (("s0", None), ("s3", None)), "s0"),
        ("b", (("s1", None),), None),
        ("c", (("s2", None),), None),
    ]


def test_a_saved_result_is_committed_when_save_returns(store, grid, database_url):
    code, _ = grid
    token = store.join(code, "Ann", now=NOW)
    store.assign_cell(token, CELLS, now=NOW)
    store.save_result(token, "a", {"accuracy": 0.75}, now=NOW)
    other = Classes(open_store(database_url))  # a new engine: another process's view
    assert [c.metrics for c in other.board(code).cells or ()] == []  # not revealed to students
    assert store.student(token).cell == "a"
    with other.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM results")) == 1


def test_writes_are_refused_once_the_class_is_closed(store, grid):
    code, secret = grid
    token = store.join(code, "Ann", now=NOW)
    store.assign_cell(token, CELLS, now=NOW)
    store.close(code, secret)
    for attempt in (
        lambda: store.assign_cell(token, CELLS, now=NOW),
        lambda: store.predict(token, "a", "fits", now=NOW),
        lambda: store.save_result(token, "a", {}, now=NOW),
    ):
        with pytest.raises(ClassError, match=f"class {code} is closed"):
            attempt()
    store.reopen(code, secret, now=NOW + 7200)  # after it expired: another lifetime
    assert store.class_info(code).expires_at == NOW + 7200 + 3600
    store.join(code, "Bo", now=NOW + 7200)


# --- the teacher ---------------------------------------------------------------------------


def test_delete_removes_the_class_its_students_and_results_only(store, grid, lesson):
    code, secret = grid
    token = store.join(code, "Ann", now=NOW)
    store.assign_cell(token, CELLS, now=NOW)
    store.save_result(token, "a", {"accuracy": 1.0}, now=NOW)
    kept = store.join(lesson[0], "Bo", now=NOW)
    store.delete(code, secret)
    with pytest.raises(ClassError, match="there is no class"):
        store.class_info(code)
    with pytest.raises(ClassError, match="student link is not valid"):
        store.student(token)
    assert rows(store, "results") == [] and store.student(kept).nickname == "Bo"


def test_export_rows(store, grid):
    code, secret = grid
    ann = store.join(code, "Ann", now=NOW)
    store.join(code, "Bo", now=NOW + 1)
    store.assign_cell(ann, CELLS, now=NOW)
    store.predict(ann, "a", "fits", now=NOW)
    store.save_result(ann, "a", {"accuracy": 0.9}, now=NOW)
    assert store.export_rows(code, secret) == [
        {
            "nickname": "Ann",
            "joined_at": NOW,
            "answer": None,
            "cell": "a",
            "prediction": "fits",
            "metric_accuracy": 0.9,
        },
        {"nickname": "Bo", "joined_at": NOW + 1, "answer": None, "cell": None, "prediction": None},
    ]


def test_an_unreachable_database_is_one_line():
    from tests.helpers.postgres import free_port

    store = Classes(make_engine(f"postgresql+psycopg://nnviz@127.0.0.1:{free_port()}/x"))
    with pytest.raises(StoreError, match="the class database is unavailable") as e:
        store.join("ABCDEF", "Ann")
    one_line_error(e)


# --- RateLimit -------------------------------------------------------------------------------


def test_rate_limit_is_a_sliding_window_per_key():
    clock = [100.0]
    limit = RateLimit(2, window=10, clock=lambda: clock[0])
    assert [limit.allow("k") for _ in range(3)] == [True, True, False]
    clock[0] += 9.9
    assert not limit.allow("k") and limit.allow("other")
    clock[0] += 0.1  # the first two are now a window old
    assert [limit.allow("k") for _ in range(3)] == [True, True, False]
    with pytest.raises(ValueError, match="n >= 1"):
        RateLimit(0, 10)


# --- nothing lost -----------------------------------------------------------------------------


def class_of_students(url: str, n: int) -> tuple[str, list[tuple[str, str]]]:
    """A grid class of n students, each on their own cell: (code, [(token, cell)])."""
    store = Classes(open_store(url), cap=n)
    cells = [f"cell{i}" for i in range(n)]
    code, _ = store.create_class("grid", {}, grid=cells)
    tokens = [store.join(code, f"s{i}") for i in range(n)]
    return code, [(t, store.assign_cell(t, cells)) for t in tokens]


def count_results(url: str) -> int:
    with open_store(url).connect() as connection:
        return connection.scalar(sa.text("SELECT count(*) FROM results"))


def test_two_processes_writing_at_once_lose_nothing(database_url):
    _, students = class_of_students(database_url, 80)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Manager().Barrier(2)
    with spawn.Pool(2) as pool:
        halves = [students[0::2], students[1::2]]
        jobs = [
            pool.apply_async(store_writers.write_results, (database_url, h, start)) for h in halves
        ]
        assert [job.get(timeout=300) for job in jobs] == [40, 40]
    assert count_results(database_url) == 80


def test_processes_opening_an_empty_database_at_once_make_it_once(database_url):
    """deploy/serve.sh starts several app processes at once: one migrates, the others wait."""
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Manager().Barrier(3)
    with spawn.Pool(3) as pool:
        jobs = [pool.apply_async(store_writers.open_at_once, (database_url, start)) for _ in "abc"]
        assert [job.get(timeout=300) for job in jobs] == ["0002"] * 3


def test_a_killed_writer_loses_nothing_it_acknowledged(database_url):
    _, students = class_of_students(database_url, 150)
    spawn = multiprocessing.get_context("spawn")
    receive, send = spawn.Pipe(duplex=False)
    writer = spawn.Process(
        target=store_writers.write_and_report, args=(database_url, students, send)
    )
    writer.start()
    acknowledged = []
    while len(acknowledged) < 20 and receive.poll(60):
        acknowledged.append(receive.recv())
    os.kill(writer.pid, signal.SIGKILL)
    writer.join()
    assert len(acknowledged) == 20 and writer.exitcode == -signal.SIGKILL
    with open_store(database_url).connect() as connection:
        saved = set(connection.scalars(sa.text("SELECT cell FROM results")))
    assert set(acknowledged) <= saved
