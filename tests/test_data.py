"""Data sets of nnviz.engine.data: the generators, the course's exact data, and a user's CSV."""

import numpy as np
import pytest
from sklearn.datasets import make_circles, make_moons

from nnviz.engine.data import (
    GENERATORS,
    MAX_BYTES,
    DataError,
    Dataset,
    digest,
    from_csv,
    generate,
    parse_csv,
    split_counts,
    to_csv,
)

# --- generators ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_shapes_labels_and_both_classes(name):
    d = generate(name, 200, 0.1, 0.25, seed=0)
    assert d.X_train.shape == (2, 150) and d.Y_train.shape == (1, 150)
    assert d.X_test.shape == (2, 50) and d.Y_test.shape == (1, 50)
    for Y in (d.Y_train, d.Y_test):
        assert set(np.unique(Y)) == {0.0, 1.0}  # labels 0/1, both present
    for X in (d.X_train, d.X_test):
        assert X.dtype == np.float64 and np.isfinite(X).all()
    assert d.has_test


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_is_deterministic_and_seeded(name):
    a, b = generate(name, 120, 0.2, 0.25, 7), generate(name, 120, 0.2, 0.25, 7)
    c = generate(name, 120, 0.2, 0.25, 8)
    for field in ("X_train", "Y_train", "X_test", "Y_test"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.X_train, c.X_train)
    assert not np.array_equal(a.X_train[:, :30], a.X_test)  # test drawn independently


@pytest.mark.parametrize(
    "samples, test_fraction, n_train, n_test",  # n_test = round(samples · fraction), by hand
    [(400, 0.25, 300, 100), (300, 0.0, 300, 0), (101, 0.25, 76, 25), (20, 0.9, 2, 18)],
)
def test_train_test_counts_follow_test_fraction(samples, test_fraction, n_train, n_test):
    assert split_counts(samples, test_fraction) == (n_train, n_test)
    d = generate("moons", samples, 0.1, test_fraction, 0)
    assert (d.X_train.shape[1], d.X_test.shape[1]) == (n_train, n_test)
    assert d.Y_test.shape == (1, n_test) and d.has_test == (n_test > 0)


def test_initialization_lesson_data_is_the_courses_make_circles():
    d = generate("circles", 400, 0.05, 0.25, seed=1)
    X, y = make_circles(300, noise=0.05, random_state=1)
    Xt, yt = make_circles(100, noise=0.05, random_state=2)
    assert np.array_equal(d.X_train, X.T) and np.array_equal(d.Y_train, y.reshape(1, -1))
    assert np.array_equal(d.X_test, Xt.T) and np.array_equal(d.Y_test, yt.reshape(1, -1))


def test_optimization_lesson_data_is_the_courses_make_moons():
    d = generate("moons", 300, 0.2, 0.0, 3)
    X, y = make_moons(300, noise=0.2, random_state=3)
    assert np.array_equal(d.X_train, X.T) and np.array_equal(d.Y_train, y.reshape(1, -1))
    assert not d.has_test and d.X_test.shape == (2, 0) and d.Y_test.shape == (1, 0)


def test_bounds_pad_the_point_range_by_ten_percent():
    X = np.array([[0.0, 10.0, 5.0], [-1.0, 1.0, 0.0]])
    d = Dataset(X[:, :2], np.array([[0.0, 1.0]]), X[:, 2:], np.array([[1.0]]))
    # x1 in [0, 10] -> pad 1; x2 in [-1, 1] -> pad 0.2
    assert d.bounds == pytest.approx((-1.0, 11.0, -1.2, 1.2))


# --- a user's CSV --------------------------------------------------------------------------------

GOOD = "x1,x2,label\n0.5,-1,0\n1e-3,2.25,1\n-3,0,1\n4,4,0\n"


def test_parse_a_good_file():
    X, Y = parse_csv(GOOD)
    assert X.tolist() == [[0.5, 0.001, -3.0, 4.0], [-1.0, 2.25, 0.0, 4.0]]
    assert Y.tolist() == [[0.0, 1.0, 1.0, 0.0]]


def test_bytes_with_a_bom_blank_lines_and_loose_header_parse_the_same():
    content = ("\ufeff X1 , x2,LABEL\r\n\r\n" + GOOD.split("\n", 1)[1] + "\n\n").encode("utf-8")
    X, Y = parse_csv(content)
    X0, Y0 = parse_csv(GOOD)
    assert np.array_equal(X, X0) and np.array_equal(Y, Y0)


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("a,b,c\n1,2,0\n", "header must be x1,x2,label, got 'a,b,c'"),
        ("x1,x2\n1,2\n", "header must be x1,x2,label"),
        (GOOD + "1,2\n", "line 6: expected 3 values, got 2"),
        (GOOD + "1,2,0,5\n", "line 6: expected 3 values, got 4"),
        (GOOD.replace("-3,0,1", "-3,abc,1"), "line 4: 'abc' is not a number"),
        (GOOD.replace("4,4,0", "4,nan,0"), "line 5: values must be finite"),
        (GOOD.replace("4,4,0", "inf,4,0"), "line 5: values must be finite"),
        (GOOD.replace("-3,0,1", "-3,0,6"), "line 4: label must be a whole number 0..5, got 6"),
        (GOOD.replace("-3,0,1", "-3,0,0.5"), "label must be a whole number 0..5, got 0.5"),
        (GOOD.replace("-3,0,1", "-3,0,-1"), "label must be a whole number 0..5, got -1"),
        (GOOD.replace("-3,0,1", "-3,0,3"), "labels up to 3 but none 2; labels are 0..K-1"),
        ("x1,x2,label\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n", "only label 0; both 0 and 1 are needed"),
        ("x1,x2,label\n1,2,0\n3,4,1\n5,6,0\n", "needs 4 to 20,000 rows, got 3"),
        ("x1,x2,label\n" + "0,0,0\n1,1,1\n" * 10_001, "needs 4 to 20,000 rows, got 20,002"),
        (b"x1,x2,label\n\xff\xfe1,2,0\n", "not UTF-8"),
        ("x1,x2,label\n".encode("utf-16"), "not UTF-8"),
    ],
)
def test_bad_files_raise_data_error_naming_the_problem(content, message):
    with pytest.raises(DataError) as info:
        parse_csv(content, "mine.csv")
    assert message in str(info.value)
    assert str(info.value).startswith("mine.csv")  # says which file
    assert isinstance(info.value, ValueError)


def test_too_many_bytes_is_refused_before_parsing():
    content = b"x1,x2,label\n" + b"0,0,0\n" * (MAX_BYTES // 6 + 1)
    with pytest.raises(DataError, match="the limit is 2,000,000"):
        parse_csv(content)


def test_to_csv_and_parse_csv_round_trip_exactly():
    d = generate("spiral", 50, 0.3, 0.0, 0)
    X, Y = parse_csv(to_csv(d.X_train, d.Y_train))
    assert np.array_equal(X, d.X_train) and np.array_equal(Y, d.Y_train)


def test_from_csv_with_a_separate_test_file():
    test = "x1,x2,label\n9,9,1\n8,8,0\n7,7,1\n6,6,0\n5,5,0\n"
    d = from_csv(GOOD, test_content=test)
    assert np.array_equal(d.X_train, parse_csv(GOOD)[0])
    assert d.X_test[0].tolist() == [9, 8, 7, 6, 5] and d.Y_test.tolist() == [[1, 0, 1, 0, 0]]
    with pytest.raises(DataError, match="^test file line 2"):
        from_csv(GOOD, test_content=test.replace("9,9,1", "9,9"))
    with pytest.raises(DataError, match="^data file"):
        from_csv("x1,x2,label\n", test_content=test)


def points(X: np.ndarray, Y: np.ndarray) -> list[tuple[float, float, float]]:
    """The (x1, x2, label) rows as a sorted list: equal for the same multiset of points."""
    return sorted(map(tuple, np.vstack([X, Y]).T.tolist()))


def test_from_csv_holds_out_a_seeded_share():
    src = generate("blobs", 40, 0.2, 0.0, 0)
    content = to_csv(src.X_train, src.Y_train)
    d = from_csv(content, test_fraction=0.25, seed=3)
    assert (d.X_train.shape[1], d.X_test.shape[1]) == (30, 10)
    # every point lands in exactly one part
    X_all, Y_all = np.hstack([d.X_train, d.X_test]), np.hstack([d.Y_train, d.Y_test])
    assert points(X_all, Y_all) == points(src.X_train, src.Y_train)
    again, other = from_csv(content, 0.25, seed=3), from_csv(content, 0.25, seed=4)
    assert np.array_equal(again.X_test, d.X_test)
    assert not np.array_equal(other.X_test, d.X_test)
    whole = from_csv(content)
    assert whole.X_train.shape == (2, 40) and not whole.has_test


def test_from_csv_keeps_the_files_row_order_in_both_parts():
    """No test share: the file as it is. A test share: the seed picks the held-out rows, and
    both parts list their rows in the file's order (so unshuffled batches follow the file)."""
    rows = [(float(i), float(i % 7), i % 2) for i in range(40)]  # x1 is the row's number
    content = "x1,x2,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)
    for seed in (1, 2):
        whole = from_csv(content, seed=seed)
        assert whole.X_train[0].tolist() == list(range(40)) and not whole.has_test
    parts = [from_csv(content, 0.25, seed) for seed in (1, 2)]
    for d in parts:
        train, test = d.X_train[0].tolist(), d.X_test[0].tolist()
        assert (len(train), len(test)) == (30, 10)
        assert train == sorted(train) and test == sorted(test)
        assert sorted(train + test) == list(range(40))
        assert d.Y_train[0].tolist() == [x % 2 for x in train]  # labels travel with their rows
    assert parts[0].X_test.tolist() != parts[1].X_test.tolist()  # the seed picks the rows


def test_from_csv_refuses_a_share_that_leaves_too_few_training_points():
    with pytest.raises(DataError, match="leaves 1 training points"):
        from_csv(GOOD, test_fraction=0.75)


def test_digest_changes_with_content_and_is_stable():
    assert digest(GOOD) == digest(GOOD.encode()) == digest(GOOD)
    assert digest(GOOD) != digest(GOOD + "1,1,1\n")
    assert digest(GOOD, None) != digest(GOOD, "")
    assert len(digest(GOOD)) == 12


def test_mislabeled_is_make_moons_with_a_few_labels_flipped():
    X, y = make_moons(2000, noise=0.15, random_state=4)
    d = generate("mislabeled", 2000, 0.15, 0.0, seed=4)
    np.testing.assert_array_equal(d.X_train, X.T)  # the same points as make_moons ...
    flipped = d.Y_train[0] != y
    assert 0.045 <= flipped.mean() <= 0.075  # ... with about 6% of the labels wrong
    np.testing.assert_array_equal(d.Y_train[0][flipped], 1 - y[flipped])
