"""glossary_dl.datasets: the MNIST reader on synthetic IDX/npz files, the real test set, the embedded digits."""

import gzip
import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from glossary_dl.datasets import load_digits, load_mnist, load_mnist_sample

# Published class sizes of MNIST's 10,000-image test set.
MNIST_TEST_CLASS_SIZES = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def idx_bytes(values: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file of unsigned bytes, written from the format's definition."""
    if magic is None:
        magic = 0x0800 | values.ndim
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in values.shape)
    return header + values.astype(np.uint8).tobytes()


def write_pair(folder: Path, part: str, images, labels, *, gz: bool, image_bytes=None, label_bytes=None):
    for name, payload in zip(NAMES[part], (image_bytes or idx_bytes(images), label_bytes or idx_bytes(labels))):
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(payload))
        else:
            (folder / name).write_bytes(payload)


def sample(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


# ---------------------------------------------------------------- reading
# oracle: the files are written by NumPy from the IDX definition (idx_bytes), compared byte for byte
@pytest.mark.verifies("glossary_dl.datasets.load_mnist", oracle="numpy", rtol=0)
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_idx_folder_round_trip(tmp_path, gz):
    train, test = sample(7, 0), sample(3, 1)
    write_pair(tmp_path, "train", *train, gz=gz)
    write_pair(tmp_path, "test", *test, gz=gz)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    for got, expected in zip((x_train, y_train, x_test, y_test), (*train, *test)):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, expected)  # exact: bytes in, bytes out


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    images, labels = sample(2, 2)
    write_pair(tmp_path, "test", images, labels, gz=False,
               image_bytes=gzip.compress(idx_bytes(images)))  # gzipped data under the plain name
    (_, _), (x_test, _) = load_mnist(tmp_path)
    np.testing.assert_array_equal(x_test, images)


def test_test_only_folder_gives_empty_training_arrays(tmp_path):
    write_pair(tmp_path, "test", *sample(4, 3), gz=True)
    (x_train, y_train), (x_test, y_test) = load_mnist(str(tmp_path))
    assert x_train.shape == (0, 28, 28) and y_train.shape == (0,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert x_test.shape == (4, 28, 28) and y_test.shape == (4,)


@pytest.mark.verifies("glossary_dl.datasets.load_mnist", oracle="numpy", rtol=0)  # np.savez, Keras' key layout
def test_npz_cache_file_is_the_default(tmp_path, monkeypatch):
    train, test = sample(5, 4), sample(2, 5)
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=train[0], y_train=train[1],
             x_test=test[0], y_test=test[1])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = load_mnist()
    for got, expected in zip((x_train, y_train, x_test, y_test), (*train, *test)):
        np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------- errors
def _folder_with(tmp_path, **overrides):
    images, labels = sample(3, 6)
    write_pair(tmp_path, "test", images, labels, gz=False, **overrides)
    return tmp_path


BAD_FILES = [
    ("bad image magic", dict(image_bytes=idx_bytes(sample(3, 6)[0], magic=0x0801)), "bad IDX magic number"),
    ("labels as images", dict(label_bytes=idx_bytes(np.zeros((3, 28, 28)))), "bad IDX magic number"),
    ("27x28 images", dict(image_bytes=idx_bytes(np.zeros((3, 27, 28)))), r"shape \(N, 28, 28\)"),
    ("truncated data", dict(image_bytes=idx_bytes(sample(3, 6)[0])[:-5]), "truncated data"),
    ("trailing bytes", dict(label_bytes=idx_bytes(sample(3, 6)[1]) + b"\x00"), "trailing bytes"),
    ("truncated header", dict(label_bytes=idx_bytes(sample(3, 6)[1])[:6]), "truncated IDX header"),
    ("count mismatch", dict(label_bytes=idx_bytes(np.zeros(4))), "3 images but .* 4 labels"),
    ("label 10", dict(label_bytes=idx_bytes(np.array([1, 10, 2]))), "digits 0..9"),
    ("broken gzip", dict(image_bytes=gzip.compress(idx_bytes(sample(3, 6)[0]))[:40]), "not a valid gzip"),
]


@pytest.mark.parametrize("overrides, message", [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_malformed_idx_files_raise(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        load_mnist(_folder_with(tmp_path, **overrides))


def test_missing_files_raise(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        load_mnist(tmp_path / "nope.npz")
    with pytest.raises(FileNotFoundError, match="holds no MNIST IDX files"):
        load_mnist(tmp_path)
    (tmp_path / NAMES["test"][0]).write_bytes(idx_bytes(sample(1, 0)[0]))
    with pytest.raises(FileNotFoundError, match="images and labels come in pairs"):
        load_mnist(tmp_path)
    with pytest.raises(TypeError, match="path must be None, a string or a path"):
        load_mnist(3)


@pytest.mark.parametrize(
    "arrays, message",
    [
        (dict(x_train=np.zeros((1, 28, 28), np.uint8)), "missing"),
        (dict(x_train=np.zeros((1, 28, 28)), y_train=np.zeros(1, np.uint8),
              x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8)), "must be uint8"),
        (dict(x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(1, np.uint8),
              x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8)), "must match"),
    ],
    ids=["missing key", "float images", "count mismatch"],
)
def test_malformed_npz_raises(tmp_path, arrays, message):
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        load_mnist(tmp_path / "m.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_mnist(tmp_path / "junk.npz")


# ---------------------------------------------------------------- the real MNIST test set
def test_real_mnist_test_set():
    shipped = resources.files("glossary_dl").joinpath("data/mnist")
    images_gz = shipped.joinpath("t10k-images-idx3-ubyte.gz")
    # the official file (md5 prefix from the project's oracle notes), so the counts below apply
    assert hashlib.md5(images_gz.read_bytes()).hexdigest().startswith("9fb629c4")
    with resources.as_file(shipped) as folder:
        (x_train, _), (x_test, y_test) = load_mnist(folder)
    assert x_train.shape == (0, 28, 28)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    # published facts of the MNIST test set: its first labels and its class sizes
    np.testing.assert_array_equal(y_test[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10), MNIST_TEST_CLASS_SIZES)
    assert x_test.max() == 255 and x_test.min() == 0


# ---------------------------------------------------------------- the shipped MNIST sample
def test_mnist_sample_is_a_fixed_partition_of_the_official_test_set():
    with resources.as_file(resources.files("glossary_dl").joinpath("data/mnist")) as folder:
        (_, _), (official, official_labels) = load_mnist(folder)
    (x_train, y_train), (x_test, y_test) = load_mnist_sample()
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert x_train.dtype == x_test.dtype == y_train.dtype == np.uint8
    # every official image exactly once, on one side of the split, with its own label
    joined = np.concatenate([x_train, x_test]).reshape(10000, -1)
    order = np.lexsort(joined.T[::-1])
    reference = np.lexsort(official.reshape(10000, -1).T[::-1])
    np.testing.assert_array_equal(joined[order], official.reshape(10000, -1)[reference])
    np.testing.assert_array_equal(np.bincount(np.concatenate([y_train, y_test]), minlength=10),
                                  MNIST_TEST_CLASS_SIZES)
    # shuffled, not the file's order (its first half is the cleaner writers'), and the same every call
    assert not np.array_equal(y_train[:10], official_labels[:10])
    (again, _), (_, again_labels) = load_mnist_sample()
    np.testing.assert_array_equal(again, x_train)
    np.testing.assert_array_equal(again_labels, y_test)
    # a smaller training part is a prefix of the same shuffle
    (small, _), (rest, _) = load_mnist_sample(train_size=100)
    np.testing.assert_array_equal(small, x_train[:100])
    assert rest.shape == (9900, 28, 28)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (10000, ValueError), (-5, ValueError),
                                        (8000.0, TypeError), ("8000", TypeError), (True, TypeError), (None, TypeError)])
def test_mnist_sample_refuses_a_bad_train_size(bad, error):
    with pytest.raises(error, match="train_size"):
        load_mnist_sample(train_size=bad)


FIRST_NETWORK = Path(__file__).resolve().parent.parent / "docs" / "notebooks" / "first-neural-network.ipynb"


def _quoted_accuracies() -> tuple[float, float]:
    """The two accuracies the notebook quotes: Keras', then this network's."""
    import json
    import re

    text = "".join("".join(cell["source"]) for cell in json.loads(FIRST_NETWORK.read_text(encoding="utf-8"))["cells"])
    match = re.search(r"reaches a test accuracy of\s+\*\*(0\.\d+)\*\*.*?reaches \*\*(0\.\d+)\*\*", text, re.S)
    assert match, "the notebook no longer quotes Keras' accuracy and this network's"
    return float(match.group(1)), float(match.group(2))


@pytest.mark.slow  # six trainings of the chapter's network on 8,000 images
@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.datasets.load_mnist_sample", oracle="keras")
def test_the_mnist_sample_trains_the_chapter_network_as_well_as_keras():
    import keras

    from glossary_dl.layers import Dense
    from glossary_dl.models import Sequential

    (x_train, y_train), (x_test, y_test) = load_mnist_sample()
    x_train = x_train.reshape((8000, 28 * 28)).astype("float32") / 255
    x_test = x_test.reshape((2000, 28 * 28)).astype("float32") / 255
    ours, theirs = [], []
    for seed in (0, 1, 2):
        model = Sequential([Dense(512, activation="relu"), Dense(10, activation="softmax")], seed=seed)
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_train, y_train, epochs=5, batch_size=128, verbose=0)
        ours.append(model.evaluate(x_test, y_test, verbose=0)[1])
        keras.utils.set_random_seed(seed)
        reference = keras.Sequential([keras.layers.Dense(512, activation="relu"),
                                      keras.layers.Dense(10, activation="softmax")])
        reference.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        reference.fit(x_train, y_train, epochs=5, batch_size=128, verbose=0)
        theirs.append(reference.evaluate(x_test, y_test, verbose=0)[1])
    quoted_keras, quoted_ours = _quoted_accuracies()
    print(f"MNIST sample, test accuracy over 3 seeds: ours {ours}, Keras {theirs}")
    # the figures the notebook quotes are the ones measured (Keras' threads may move its last digit)
    assert abs(np.mean(ours) - quoted_ours) <= 0.0015
    assert abs(np.mean(theirs) - quoted_keras) <= 0.003
    # and the package's network learns real digits as well as Keras', within a point
    assert np.mean(ours) >= np.mean(theirs) - 0.01 and min(ours) > 0.92


# ---------------------------------------------------------------- the embedded digits
@pytest.mark.verifies("glossary_dl.datasets.load_digits", oracle="sklearn", rtol=0)  # exact bytes and labels
def test_embedded_digits_are_sklearns_digits_split_stratified():
    from sklearn.datasets import load_digits as sklearn_digits

    reference = sklearn_digits()
    (x_train, y_train), (x_test, y_test) = load_digits()
    assert x_train.shape == (1347, 8, 8) and x_test.shape == (450, 8, 8)
    assert x_train.dtype == y_train.dtype == np.uint8
    images = np.concatenate([x_train, x_test])
    labels = np.concatenate([y_train, y_test])
    # every original image appears exactly once, with its label, rescaled as round(255·p/16)
    expected = np.rint(255.0 * reference.images / 16.0).astype(np.uint8)
    key = lambda imgs, labs: sorted(zip(labs.tolist(), map(bytes, imgs.reshape(len(imgs), -1))))  # noqa: E731
    assert key(images, labels) == key(expected, reference.target.astype(np.uint8))
    # stratified: each class sends round(25%) of its images to the test set
    per_class = np.bincount(reference.target, minlength=10)
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10), np.round(0.25 * per_class))


def test_embedded_digits_are_deterministic_and_small():
    first, second = load_digits(), load_digits()
    for a, b in zip((*first[0], *first[1]), (*second[0], *second[1])):
        np.testing.assert_array_equal(a, b)
    packaged = Path(str(resources.files("glossary_dl").joinpath("data/digits.npz")))
    assert packaged.stat().st_size < 300_000  # the budget for data shipped inside the wheel
