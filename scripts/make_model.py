"""Write the small SavedModel the dev stack uploads: fashion-mnist's serving signature, seeded weights.

The model is a single softmax layer over the flattened 28x28 image, with weights drawn from a fixed seed.
It is not trained (the data set cannot be fetched on the build machines); it exists so that TF Serving
loads a real SavedModel with the signature the seed's proxy calls (``serving_default``: ``images``
float32[batch, 28, 28] -> ``scores`` float32[batch, 10]).

Usage (TensorFlow is not a dependency of the program; install it in a separate environment)::

    pip install -r scripts/requirements-model.txt
    python scripts/make_model.py models/fashion-mnist/1
"""

from __future__ import annotations

import sys
from pathlib import Path


def build(out_dir: Path) -> None:
    import tensorflow as tf

    rng = tf.random.Generator.from_seed(20261125)
    weights = tf.Variable(rng.normal([28 * 28, 10], stddev=0.01), name="weights")
    bias = tf.Variable(tf.zeros([10]), name="bias")

    class FashionMnist(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weights = weights
            self.bias = bias

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28], tf.float32, name="images")])
        def serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
            flat = tf.reshape(images, [-1, 28 * 28])
            return {"scores": tf.nn.softmax(tf.matmul(flat, self.weights) + self.bias)}

    module = FashionMnist()
    tf.saved_model.save(module, str(out_dir), signatures={"serving_default": module.serve})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/make_model.py OUT_DIR  (for example models/fashion-mnist/1)")
    build(Path(sys.argv[1]))
