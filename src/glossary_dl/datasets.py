r"""Datasets for the first network: MNIST read from local files, and a small embedded digits set.

- `load_mnist` reads MNIST from disk, either Keras' cache file ``mnist.npz`` or the four IDX files
  of the original distribution (gzipped or not). Nothing is ever downloaded.
- `load_digits` returns 1,797 8×8 handwritten digits shipped inside the package, so the chapter's
  network can be trained anywhere, offline, in seconds.
- `load_mnist_sample` returns the official MNIST test set, 10,000 real 28×28 digits shipped inside
  the package, split into a training and a test part, so the chapter runs on real MNIST images
  for every reader.

Both return Keras' ``((x_train, y_train), (x_test, y_test))``: images as uint8 arrays of shape
(N, height, width) with intensities in 0..255, labels as uint8 arrays of shape (N,).

An IDX file is a big-endian header followed by the raw values: two zero bytes, a type code
(``0x08`` = unsigned byte), the number of dimensions $d$, then $d$ 32-bit sizes. MNIST's image files
have magic number ``0x00000803`` (sizes $N \times 28 \times 28$), its label files ``0x00000801``
(size $N$).
"""

from __future__ import annotations

import gzip
import os
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["load_digits", "load_mnist", "load_mnist_sample"]

_IMAGE_MAGIC = 0x00000803
_LABEL_MAGIC = 0x00000801
_SIDE = 28
_IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


# ---------------------------------------------------------------- MNIST
def load_mnist(path=None):
    r"""Load MNIST from a local file or folder; nothing is downloaded.

    Parameters
    ----------
    path : str, os.PathLike or None, optional
        One of

        - ``None``: Keras' cache file, ``~/.keras/datasets/mnist.npz`` (where
          ``keras.datasets.mnist.load_data()`` leaves it), or ``$KERAS_HOME/datasets/mnist.npz``
          when the ``KERAS_HOME`` environment variable is set;
        - a ``.npz`` file with the arrays ``x_train``, ``y_train``, ``x_test``, ``y_test``;
        - a folder holding the IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
          ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each possibly gzipped (a
          ``.gz`` name; the content is recognised by its gzip header, not by the name). A folder
          with only the two ``t10k`` files (the test set) is accepted.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of two tuples of ndarray
        Images as uint8 arrays of shape (N, 28, 28), intensities 0..255; labels as uint8 arrays
        of shape (N,), digits 0..9: the contract of ``keras.datasets.mnist.load_data()``. When a
        folder holds only the test files, ``x_train`` has shape (0, 28, 28) and ``y_train``
        shape (0,): empty, never None, so the types do not depend on the folder, and the
        chapter's ``reshape((60000, 28 * 28))`` fails loudly instead of training on nothing.

    Raises
    ------
    TypeError
        If ``path`` is not None, a string or a path.
    FileNotFoundError
        If the file or folder does not exist, a folder holds neither the training nor the test
        files, or it holds an image file without its label file (or the reverse).
    ValueError
        If a file is malformed: not a valid gzip stream, a wrong IDX magic number, images that
        are not 28×28, fewer or more bytes than the header announces, a different number of
        images and labels, labels outside 0..9, or a ``.npz`` file with missing keys or arrays
        of the wrong shape or dtype.

    Notes
    -----
    An IDX file of $d$ dimensions holds $4 + 4d$ header bytes and then exactly
    $\prod_{k=1}^{d} n_k$ unsigned bytes, in row-major order:

    $$
    \text{size} = 4 + 4d + \prod_{k=1}^{d} n_k , \qquad
    (d, n) = (3, (N, 28, 28)) \text{ for images}, \quad (1, (N,)) \text{ for labels}.
    $$
    """
    if path is None:
        home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
        path = Path(home) / "datasets" / "mnist.npz"
    elif isinstance(path, (str, os.PathLike)):
        path = Path(path).expanduser()
    else:
        raise TypeError(f"path must be None, a string or a path, got {type(path).__name__}")
    if not path.exists():
        raise FileNotFoundError(
            f"path: no MNIST file or folder at {str(path)!r}; nothing is downloaded: pass the path "
            "of Keras' mnist.npz or of a folder with the four IDX files"
        )
    if path.is_dir():
        return _load_idx_folder(path)
    return _load_npz(path)


def _load_npz(path: Path):
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zlib.error) as error:
        raise ValueError(f"path: {str(path)!r} is not a readable .npz file ({error})") from None
    with archive:
        missing = [key for key in _NPZ_KEYS if key not in archive.files]
        if missing:
            raise ValueError(
                f"path: {str(path)!r} must hold the arrays {list(_NPZ_KEYS)}, missing {missing}"
            )
        arrays = {key: archive[key] for key in _NPZ_KEYS}
    pairs = []
    for part in ("train", "test"):
        images, labels = arrays[f"x_{part}"], arrays[f"y_{part}"]
        _check_images_array(images, f"x_{part} in {path.name}")
        _check_labels_array(labels, f"y_{part} in {path.name}")
        _check_counts(images, labels, f"x_{part}", f"y_{part} in {path.name}")
        pairs.append((np.ascontiguousarray(images), np.ascontiguousarray(labels)))
    return tuple(pairs)


def _load_idx_folder(folder: Path):
    found = {part: [_find_idx(folder, name) for name in names] for part, names in _IDX_NAMES.items()}
    for part, (images_file, labels_file) in found.items():
        if (images_file is None) != (labels_file is None):
            present, absent = (
                (images_file, _IDX_NAMES[part][1]) if labels_file is None else (labels_file, _IDX_NAMES[part][0])
            )
            raise FileNotFoundError(
                f"path: {str(folder)!r} holds {present.name} but not {absent}[.gz]; "
                "images and labels come in pairs"
            )
    if found["test"][0] is None and found["train"][0] is None:
        raise FileNotFoundError(
            f"path: {str(folder)!r} holds no MNIST IDX files (expected "
            f"{', '.join(n + '[.gz]' for names in _IDX_NAMES.values() for n in names)})"
        )
    pairs = []
    for part in ("train", "test"):
        images_file, labels_file = found[part]
        if images_file is None:
            pairs.append((np.zeros((0, _SIDE, _SIDE), dtype=np.uint8), np.zeros(0, dtype=np.uint8)))
            continue
        images = _read_idx(images_file, _IMAGE_MAGIC)
        labels = _read_idx(labels_file, _LABEL_MAGIC)
        _check_images_array(images, images_file.name)
        _check_labels_array(labels, labels_file.name)
        _check_counts(images, labels, images_file.name, labels_file.name)
        pairs.append((images, labels))
    return tuple(pairs)


def _find_idx(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_idx(file: Path, magic: int) -> np.ndarray:
    raw = file.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # the gzip header, whatever the file's name
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{file.name}: not a valid gzip file ({error})") from None
    if len(raw) < 4:
        raise ValueError(f"{file.name}: too short for an IDX header ({len(raw)} bytes)")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(
            f"{file.name}: bad IDX magic number 0x{found:08x}, expected 0x{magic:08x} "
            f"(unsigned bytes, {magic & 0xFF} dimension(s))"
        )
    n_dims = magic & 0xFF
    header = 4 + 4 * n_dims
    if len(raw) < header:
        raise ValueError(f"{file.name}: truncated IDX header, {len(raw)} of {header} bytes")
    shape = tuple(int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(n_dims))
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        problem = "truncated data" if len(raw) < expected else "trailing bytes after the data"
        raise ValueError(
            f"{file.name}: {problem}: the header announces shape {shape}, {expected} bytes in all, "
            f"the file holds {len(raw)}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def _check_images_array(images: np.ndarray, name: str) -> None:
    if images.dtype != np.uint8:
        raise ValueError(f"{name}: images must be uint8, got dtype {images.dtype}")
    if images.ndim != 3 or images.shape[1:] != (_SIDE, _SIDE):
        raise ValueError(f"{name}: images must have shape (N, 28, 28), got {images.shape}")


def _check_labels_array(labels: np.ndarray, name: str) -> None:
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{name}: labels must be a uint8 array of shape (N,), got {labels.dtype} {labels.shape}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{name}: labels must be digits 0..9, found {int(labels.max())}")


def _check_counts(images: np.ndarray, labels: np.ndarray, images_name: str, labels_name: str) -> None:
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{images_name} holds {images.shape[0]} images but {labels_name} holds {labels.shape[0]} "
            "labels; they must match"
        )


# ---------------------------------------------------------------- embedded MNIST test set
_SAMPLE_SIZE = 10_000
_SAMPLE_SEED = 0


def load_mnist_sample(train_size=8000):
    r"""The official MNIST test set, shipped with the package, split for training; works offline.

    The 10,000 images of MNIST's test set (``t10k-images-idx3-ubyte.gz`` and
    ``t10k-labels-idx1-ubyte.gz``, 1.6 MB, in ``glossary_dl/data/mnist/``) are real handwritten
    digits, 28×28 pixels, the format of chapter 2. They are shuffled once, with a fixed seed, and
    cut in two: the first ``train_size`` images to train on, the rest to test on. The same
    arguments give the same arrays on every machine.

    MNIST is the work of Yann LeCun, Corinna Cortes and Christopher J. C. Burges, who made it
    available under the terms of the Creative Commons Attribution-Share Alike 3.0 licence; the
    files are the original ones, unchanged.

    Parameters
    ----------
    train_size : int, optional
        How many of the 10,000 images go to the training part, from 1 to 9,999 (default 8,000,
        which leaves 2,000 to test on).

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of two tuples of ndarray
        Images as uint8 arrays of shape (N, 28, 28), intensities 0..255; labels as uint8 arrays
        of shape (N,): the contract of `load_mnist` and of ``keras.datasets.mnist.load_data()``.

    Raises
    ------
    TypeError
        If ``train_size`` is not an integer.
    ValueError
        If ``train_size`` is not between 1 and 9,999.

    Notes
    -----
    With $\pi$ the fixed permutation of the indices $0, \dots, 9999$ and $n$ = ``train_size``,
    the training part is $\{x_{\pi(i)} : i < n\}$ and the test part $\{x_{\pi(i)} : i \ge n\}$.
    """
    if isinstance(train_size, bool) or not isinstance(train_size, (int, np.integer)):
        raise TypeError(f"train_size must be an integer, got {type(train_size).__name__}")
    if not 1 <= train_size < _SAMPLE_SIZE:
        raise ValueError(f"train_size must be between 1 and {_SAMPLE_SIZE - 1}, got {train_size}")
    with resources.as_file(resources.files("glossary_dl").joinpath("data/mnist")) as folder:
        (_, _), (images, labels) = _load_idx_folder(Path(folder))
    order = np.random.default_rng(_SAMPLE_SEED).permutation(len(labels))
    train, test = order[:train_size], order[train_size:]
    return (images[train], labels[train]), (images[test], labels[test])


# ---------------------------------------------------------------- embedded digits
def load_digits():
    r"""The embedded 8×8 digits, split into a training and a test set; works offline, always.

    1,797 images of handwritten digits, 8×8 pixels: the test part of the UCI "Optical
    Recognition of Handwritten Digits" set (Alpaydin and Kaynak, 1998; CC BY 4.0), the same
    images scikit-learn bundles. They ship inside this package (``glossary_dl/data/digits.npz``,
    about 47 KB, written by ``scripts/make_digits_npz.py``).

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of two tuples of ndarray
        1,347 training and 450 test images as uint8 arrays of shape (N, 8, 8), labels as uint8
        arrays of shape (N,). The split is fixed: a stratified 75/25 split (25% of every class
        in the test set), stored in the file, so every call on every machine returns the same
        arrays.

    Notes
    -----
    The original pixels $p \in \{0, \dots, 16\}$ count the set pixels of a $4 \times 4$ block
    of a $32 \times 32$ bitmap. They are returned rescaled to MNIST's range, so that the
    chapter's preprocessing (``astype("float32") / 255``) applies unchanged:

    $$
    x = \operatorname{round}\!\left(\frac{255\, p}{16}\right) \in \{0, 16, 32, \dots, 255\} .
    $$
    """
    with resources.files("glossary_dl").joinpath("data/digits.npz").open("rb") as handle:
        with np.load(handle, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in _NPZ_KEYS}

    def rescale(p):
        # x = round(255·p / 16), computed in integers: (255·p + 8) // 16
        return ((p.astype(np.uint16) * 255 + 8) // 16).astype(np.uint8)

    return (
        (rescale(arrays["x_train"]), arrays["y_train"].copy()),
        (rescale(arrays["x_test"]), arrays["y_test"].copy()),
    )
