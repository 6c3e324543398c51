"""Write ``src/glossary_dl/data/digits.npz``, the small digits set that ``load_digits`` embeds.

Run once, by hand, by a maintainer (scikit-learn is a test dependency, never a runtime one):

    .venv/bin/python scripts/make_digits_npz.py

Source: the 1,797 8×8 images bundled with scikit-learn (``sklearn.datasets.load_digits``), which
are the test part of the UCI "Optical Recognition of Handwritten Digits" data set (E. Alpaydin and
C. Kaynak, 1998; UCI Machine Learning Repository, CC BY 4.0). Each pixel counts the set pixels of a
4×4 block of a 32×32 bitmap, so it lies in 0..16.

The split is stratified and fixed here, once: 25% of each class, chosen by a seeded permutation, goes
to the test set. The file stores the four arrays already split, so ``load_digits`` needs no random
numbers and returns the same split on every machine and numpy version.
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parent.parent / "src" / "glossary_dl" / "data" / "digits.npz"
TEST_FRACTION = 0.25
SEED = 0


def main() -> None:
    digits = load_digits()
    images = digits.images.astype(np.uint8)  # (1797, 8, 8), values 0..16
    labels = digits.target.astype(np.uint8)
    assert images.max() <= 16 and np.array_equal(images, digits.images)
    rng = np.random.default_rng(SEED)
    test = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        members = np.flatnonzero(labels == c)
        chosen = rng.permutation(members)[: round(TEST_FRACTION * len(members))]
        test[chosen] = True
    # one shuffled order inside each part, so that the first samples are not all zeros
    train_idx = rng.permutation(np.flatnonzero(~test))
    test_idx = rng.permutation(np.flatnonzero(test))
    np.savez_compressed(
        OUT,
        x_train=images[train_idx], y_train=labels[train_idx],
        x_test=images[test_idx], y_test=labels[test_idx],
    )
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): "
          f"{len(train_idx)} train, {len(test_idx)} test images")


if __name__ == "__main__":
    main()
