"""The class repository: what the Class page reads and writes (docs/design.md §8).

Every query is parametrized (SQLAlchemy Core); every write is one transaction, committed before
the method returns, so whatever the page then calls saved survives a killed process. A class's row
is locked first in each write (``FOR UPDATE`` in PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` locks
the file), so the cap, nicknames and cells are checked against what is really there.

The teacher's secret and the students' tokens are stored only as SHA-256 digests. They are 32 and
24 random bytes from ``secrets``, not passwords a person chose: no dictionary to try, so a slow
password hash would add nothing but cost on every request; ``hmac.compare_digest`` compares them in
constant time. Nothing but a nickname is stored about a person.
"""

import hashlib
import hmac
import json
import re
import secrets
import time
import unicodedata
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from nnviz.store.database import StoreError, one_line, writing
from nnviz.store.schema import classes, results, students

ACTIVITIES = ("predict", "grid")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed without doubt
CODE_LENGTH = 6  # 32**6 ≈ 1e9 codes
CODE_ATTEMPTS = 8  # new codes tried when one is taken
NICKNAME_LENGTH = 24
TEXT_LENGTH = 200  # an answer, a prediction or a cell key
CAP = 200  # students in one class
LIFETIME = 12 * 3600.0  # seconds a class accepts students


class ClassError(StoreError):
    """A refusal the user caused (unknown code, closed class, taken nickname …): one line."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normal_code(code: str) -> str:
    return re.sub(r"\s+", "", str(code)).upper()


def clean_nickname(text: str) -> str:
    """Whitespace collapsed to single spaces, control and format characters removed (no bidi
    overrides, no zero-width tricks), at most ``NICKNAME_LENGTH`` characters. HTML is left as
    text: escaping it is the page's job."""
    spaced = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text)))
    visible = "".join(ch for ch in spaced if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = visible.strip()[:NICKNAME_LENGTH].strip()
    if not name:
        raise ClassError("a nickname needs at least one visible character")
    return name


def clean_text(text: str, what: str) -> str:
    value = str(text).strip()
    if not value or len(value) > TEXT_LENGTH:
        raise ClassError(f"{what} must be 1 to {TEXT_LENGTH} characters, got {len(value)}")
    return value


@dataclass(frozen=True)
class ClassInfo:
    """A class as every participant may see it (never its secret)."""

    code: str
    activity: str
    experiment: Any
    question: str
    answers: tuple[str, ...]
    grid: Any
    created_at: float
    expires_at: float
    closed: bool
    revealed: bool


@dataclass(frozen=True)
class Student:
    code: str
    nickname: str
    joined_at: float
    cell: str | None
    answer: str | None
    prediction: str | None


@dataclass(frozen=True)
class Cell:
    """One grid cell on the board: who took it with what prediction, and its result if any."""

    cell: str
    takers: tuple[tuple[str, str | None], ...]  # (nickname, prediction)
    metrics: Any | None
    ran_by: str | None


@dataclass(frozen=True)
class Board:
    """The teacher's view. Answers are hidden (only counted) until the reveal; grid results are
    the teacher's at once, everyone's after the reveal."""

    info: ClassInfo
    students: int
    answered: int
    answers: tuple[tuple[str, str], ...] | None  # (nickname, answer) once revealed
    cells: tuple[Cell, ...] | None


def info_of(row: Any) -> ClassInfo:
    return ClassInfo(
        code=row.code,
        activity=row.activity,
        experiment=json.loads(row.experiment_json),
        question=row.question,
        answers=tuple(json.loads(row.answers_json)),
        grid=json.loads(row.grid_json),
        created_at=row.created_at,
        expires_at=row.expires_at,
        closed=bool(row.closed),
        revealed=bool(row.revealed),
    )


def check_open(row: Any, now: float) -> None:
    if row.closed:
        raise ClassError(f"class {row.code} is closed")
    if now >= row.expires_at:
        raise ClassError(f"class {row.code} has expired")


class Classes:
    """The repository on one engine (from ``open_store``). ``cap`` students per class; a class
    accepts students for ``lifetime`` seconds. Methods that depend on the time take ``now``
    (seconds since the epoch; ``time.time()`` when omitted)."""

    def __init__(self, engine: sa.Engine, cap: int = CAP, lifetime: float = LIFETIME):
        self.engine, self.cap, self.lifetime = engine, cap, lifetime

    @contextmanager
    def _write(self):
        """One committed transaction; the database unreachable is a ``StoreError`` of one line."""
        try:
            with writing(self.engine) as connection:
                yield connection
        except sa.exc.IntegrityError:
            raise
        except sa.exc.DBAPIError as error:
            raise StoreError(f"the class database is unavailable: {one_line(error)}") from None

    @contextmanager
    def _read(self):
        try:
            with self.engine.connect() as connection:
                yield connection
        except sa.exc.DBAPIError as error:
            raise StoreError(f"the class database is unavailable: {one_line(error)}") from None

    # --- the teacher -----------------------------------------------------------------------

    def create_class(
        self,
        activity: str,
        experiment: Any,
        question: str = "",
        answers: Sequence[str] = (),
        grid: Any = None,
        now: float | None = None,
    ) -> tuple[str, str]:
        """A new class: (its code for the students, the teacher's secret). Only the secret's
        digest is stored; the secret is shown once, in the teacher's link."""
        if activity not in ACTIVITIES:
            raise ClassError(f"activity must be one of {ACTIVITIES}, got {activity!r}")
        now = time.time() if now is None else now
        secret = secrets.token_urlsafe(32)
        row = dict(
            secret_hash=digest(secret),
            activity=activity,
            experiment_json=json.dumps(experiment, sort_keys=True),
            question=str(question),
            answers_json=json.dumps([clean_text(a, "an answer") for a in answers]),
            grid_json=json.dumps(grid, sort_keys=True),
            created_at=now,
            expires_at=now + self.lifetime,
        )
        return self._insert_class(row), secret

    def _insert_class(self, row: dict[str, Any]) -> str:
        """The new class's row under a fresh random code; a code already taken is drawn again."""
        for _ in range(CODE_ATTEMPTS):
            code = new_code()
            try:
                with self._write() as connection:
                    values = dict(code=code, closed=False, revealed=False, **row)
                    connection.execute(classes.insert().values(**values))
                return code
            except sa.exc.IntegrityError:  # the code is taken: draw another
                continue
        raise StoreError(f"no free class code found in {CODE_ATTEMPTS} tries")

    def _teacher_row(
        self, connection: sa.Connection, code: str, secret: str, lock: bool = True
    ) -> Any:
        query = classes.select().where(classes.c.code == normal_code(code))
        row = connection.execute(query.with_for_update() if lock else query).first()
        if row is None or not hmac.compare_digest(row.secret_hash, digest(str(secret))):
            raise ClassError(f"this teacher link is not valid for class {normal_code(code)}")
        return row

    def _set(self, code: str, secret: str, **values: Any) -> None:
        with self._write() as connection:
            row = self._teacher_row(connection, code, secret)
            connection.execute(classes.update().where(classes.c.id == row.id).values(**values))

    def reveal(self, code: str, secret: str) -> None:
        self._set(code, secret, revealed=True)

    def close(self, code: str, secret: str) -> None:
        self._set(code, secret, closed=True)

    def reopen(self, code: str, secret: str, now: float | None = None) -> None:
        """Open again, for another ``lifetime`` from now if it had expired or was about to."""
        now = time.time() if now is None else now
        with self._write() as connection:
            row = self._teacher_row(connection, code, secret)
            expires_at = max(row.expires_at, now + self.lifetime)
            update = classes.update().where(classes.c.id == row.id)
            connection.execute(update.values(closed=False, expires_at=expires_at))

    def delete(self, code: str, secret: str) -> None:
        """The class, its students and its results, gone in one transaction."""
        with self._write() as connection:
            row = self._teacher_row(connection, code, secret)
            connection.execute(results.delete().where(results.c.class_id == row.id))
            connection.execute(students.delete().where(students.c.class_id == row.id))
            connection.execute(classes.delete().where(classes.c.id == row.id))

    def export_rows(self, code: str, secret: str) -> list[dict[str, Any]]:
        """One row per student, in joining order: nickname, answer, cell, prediction and the
        metrics of the cell's result when this student ran it (for the teacher's CSV)."""
        with self._read() as connection:
            row = self._teacher_row(connection, code, secret, lock=False)
            query = (
                sa.select(students, results.c.metrics_json)
                .outerjoin(results, results.c.student_id == students.c.id)
                .where(students.c.class_id == row.id)
                .order_by(students.c.joined_at, students.c.id)
            )
            found = connection.execute(query).all()
        return [export_row(r) for r in found]

    # --- everyone ------------------------------------------------------------------------

    def class_info(self, code: str) -> ClassInfo:
        with self._read() as connection:
            row = connection.execute(
                classes.select().where(classes.c.code == normal_code(code))
            ).first()
        if row is None:
            raise ClassError(f"there is no class with code {normal_code(code)}")
        return info_of(row)

    def board(self, code: str, secret: str | None = None) -> Board:
        """The class's counts, answers after the reveal, and the grid's cells (the teacher's at
        once, given the secret; everyone's after the reveal). A wrong secret is refused."""
        with self._read() as connection:
            if secret is None:
                query = classes.select().where(classes.c.code == normal_code(code))
                row = connection.execute(query).first()
                if row is None:
                    raise ClassError(f"there is no class with code {normal_code(code)}")
            else:
                row = self._teacher_row(connection, code, secret, lock=False)
            members = connection.execute(
                students.select().where(students.c.class_id == row.id).order_by(students.c.id)
            ).all()
            saved = connection.execute(results.select().where(results.c.class_id == row.id)).all()
        return board_of(row, members, saved, teacher=secret is not None)

    # --- the students ----------------------------------------------------------------------

    def join(self, code: str, nickname: str, now: float | None = None) -> str:
        """A new student in an open class: their token (kept in their link, to come back to the
        same place). Refused: unknown code, closed, expired, full, nickname taken."""
        name = clean_nickname(nickname)
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(24)
        with self._write() as connection:
            query = classes.select().where(classes.c.code == normal_code(code)).with_for_update()
            row = connection.execute(query).first()
            if row is None:
                raise ClassError(f"there is no class with code {normal_code(code)}")
            check_open(row, now)
            mine = students.c.class_id == row.id
            if connection.scalar(sa.select(sa.func.count()).where(mine)) >= self.cap:
                raise ClassError(f"class {row.code} is full ({self.cap} students)")
            taken = sa.select(students.c.id).where(mine, students.c.nickname == name)
            if connection.execute(taken).first() is not None:
                raise ClassError(f"the nickname {name!r} is taken in class {row.code}")
            values = dict(class_id=row.id, nickname=name, token_hash=digest(token), joined_at=now)
            connection.execute(students.insert().values(**values))
        return token

    def _student_row(self, connection: sa.Connection, token: str, lock: bool) -> Any:
        query = (
            sa.select(students, classes.c.code, classes.c.closed, classes.c.revealed)
            .add_columns(classes.c.expires_at, classes.c.answers_json)
            .join(classes, classes.c.id == students.c.class_id)
            .where(students.c.token_hash == digest(str(token)))
        )
        row = connection.execute(query.with_for_update(of=classes) if lock else query).first()
        if row is None:
            raise ClassError("this student link is not valid (mistyped, or the class was deleted)")
        return row

    def student(self, token: str) -> Student:
        """The student a token belongs to: a reload comes back as the same student."""
        with self._read() as connection:
            row = self._student_row(connection, token, lock=False)
        return Student(row.code, row.nickname, row.joined_at, row.cell, row.answer, row.prediction)

    def _update_student(self, connection: sa.Connection, row: Any, **values: Any) -> None:
        connection.execute(students.update().where(students.c.id == row.id).values(**values))

    def answer(self, token: str, answer: str, now: float | None = None) -> None:
        """The student's own answer: one of the class's, until the reveal."""
        now = time.time() if now is None else now
        with self._write() as connection:
            row = self._student_row(connection, token, lock=True)
            check_open(row, now)
            if row.revealed:
                raise ClassError(f"class {row.code} has been revealed: answers are final")
            choices = json.loads(row.answers_json)
            if answer not in choices:
                raise ClassError(f"{answer!r} is not one of this question's answers")
            self._update_student(connection, row, answer=answer)

    def assign_cell(
        self, token: str, cells: Sequence[str], choice: str | None = None, now: float | None = None
    ) -> str:
        """The student's cell of the grid ``cells``: ``choice`` if it is free, else the one they
        hold, else the first with the fewest takers (round-robin as students arrive)."""
        now = time.time() if now is None else now
        cells = [str(c) for c in cells]
        with self._write() as connection:
            row = self._student_row(connection, token, lock=True)
            check_open(row, now)
            if choice is None and row.cell in cells:
                return row.cell
            takers = self._takers(connection, row)
            if choice is None:
                cell = min(cells, key=lambda c: takers.get(c, 0))
            elif str(choice) not in cells:
                raise ClassError(f"{choice!r} is not a cell of this class's grid")
            elif takers.get(str(choice), 0) and str(choice) != row.cell:
                raise ClassError(f"cell {choice!r} is taken: choose a free one")
            else:
                cell = str(choice)
            self._update_student(connection, row, cell=cell, prediction=None)
        return cell

    def _takers(self, connection: sa.Connection, row: Any) -> dict[str, int]:
        """How many other students of the class hold each cell."""
        query = (
            sa.select(students.c.cell, sa.func.count())
            .where(students.c.class_id == row.class_id, students.c.id != row.id)
            .where(students.c.cell.is_not(None))
            .group_by(students.c.cell)
        )
        return dict(connection.execute(query).all())

    def _own_cell(self, row: Any, cell: str) -> None:
        if row.cell is None or str(cell) != row.cell:
            raise ClassError(f"cell {cell!r} is not yours (yours is {row.cell!r})")

    def predict(self, token: str, cell: str, prediction: str, now: float | None = None) -> None:
        """The student's prediction for their own cell."""
        now = time.time() if now is None else now
        with self._write() as connection:
            row = self._student_row(connection, token, lock=True)
            check_open(row, now)
            self._own_cell(row, cell)
            self._update_student(connection, row, prediction=clean_text(prediction, "a prediction"))

    def save_result(self, token: str, cell: str, metrics: Any, now: float | None = None) -> Any:
        """The result of the student's own cell, committed before returning. A cell already run
        (by a classmate on the same cell) keeps its first result, which is returned: results
        are computed on the server from the settings, so both are the same."""
        now = time.time() if now is None else now
        with self._write() as connection:
            row = self._student_row(connection, token, lock=True)
            check_open(row, now)
            self._own_cell(row, cell)
            mine = (results.c.class_id == row.class_id) & (results.c.cell == row.cell)
            stored = connection.scalar(sa.select(results.c.metrics_json).where(mine))
            if stored is not None:
                return json.loads(stored)
            values = dict(class_id=row.class_id, cell=row.cell, student_id=row.id, saved_at=now)
            text = json.dumps(metrics, sort_keys=True)
            connection.execute(results.insert().values(metrics_json=text, **values))
        return json.loads(text)


def export_row(row: Any) -> dict[str, Any]:
    metrics = json.loads(row.metrics_json) if row.metrics_json else {}
    flat = metrics if isinstance(metrics, dict) else {"metrics": metrics}
    return {
        "nickname": row.nickname,
        "joined_at": row.joined_at,
        "answer": row.answer,
        "cell": row.cell,
        "prediction": row.prediction,
        **{f"metric_{k}": v for k, v in flat.items()},
    }


def cells_of(members: Sequence[Any], saved: Sequence[Any]) -> tuple[Cell, ...]:
    """Every cell someone holds or has run, in sorted order, with its takers and result."""
    takers: dict[str, list[tuple[str, str | None]]] = {r.cell: [] for r in saved}
    for m in members:
        if m.cell is not None:
            takers.setdefault(m.cell, []).append((m.nickname, m.prediction))
    nickname = {m.id: m.nickname for m in members}
    done = {r.cell: r for r in saved}
    return tuple(
        Cell(
            cell=c,
            takers=tuple(takers[c]),
            metrics=json.loads(done[c].metrics_json) if c in done else None,
            ran_by=nickname.get(done[c].student_id) if c in done else None,
        )
        for c in sorted(takers)
    )


def board_of(row: Any, members: Sequence[Any], saved: Sequence[Any], teacher: bool) -> Board:
    info = info_of(row)
    answered = [(m.nickname, m.answer) for m in members if m.answer is not None]
    return Board(
        info=info,
        students=len(members),
        answered=len(answered),
        answers=tuple(answered) if info.revealed else None,
        cells=cells_of(members, saved) if teacher or info.revealed else None,
    )
