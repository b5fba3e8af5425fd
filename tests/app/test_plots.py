"""The conv-net plot: the first convolution's filters, one image per output channel."""

import numpy as np
from PIL import Image

from barenet.app.plots import plot_filters


def test_plot_filters_draws_each_output_channels_kernel(tmp_path):
    kernel = np.random.default_rng(0).standard_normal((5, 5, 1, 12)).astype(np.float32)
    path = plot_filters(kernel, tmp_path / "filters.png")
    with Image.open(path) as image:
        width, height = image.size
    # 12 filters in rows of 8: two rows of square panels, wider than tall.
    assert width > height > 100
