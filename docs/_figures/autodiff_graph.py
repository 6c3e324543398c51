"""The computation graph of a one-layer classifier's loss, as glossary_dl.autodiff draws it.

The boxes, ellipses, arrows and labels are those of ``Tensor.to_svg()``: the SVG the
engine writes is read back element by element and replayed on matplotlib axes, because
the site's figure hook takes a matplotlib figure.
"""

import re
import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from glossary_dl.autodiff import Tensor, softmax_cross_entropy

SVG = "{http://www.w3.org/2000/svg}"


def svg_to_figure(svg: str):
    """Replay the rectangles, ellipses, curved arrows and text of an engine drawing."""
    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))
    figure = plt.figure(figsize=(width / 72, height / 72))  # 1 SVG px = 1 pt
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)  # SVG's y axis points down
    axes.axis("off")
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        get = element.get
        if tag == "path" and get("marker-end"):
            # the engine writes "M x,y L x,y C x,y x,y x,y": a straight run, then a cubic bend
            numbers = [float(v) for v in re.sub("[MLC,]", " ", get("d")).split()]
            points = list(zip(numbers[0::2], numbers[1::2]))
            codes = [Path.MOVETO, Path.LINETO, Path.CURVE4, Path.CURVE4, Path.CURVE4]
            curve = Path(points, codes)
            axes.add_patch(FancyArrowPatch(path=curve, arrowstyle="-|>", mutation_scale=10,
                                           color=get("stroke"), linewidth=1, zorder=1))
        elif tag == "rect":
            dashed = get("stroke-dasharray") is not None
            axes.add_patch(FancyBboxPatch(
                (float(get("x")), float(get("y"))), float(get("width")), float(get("height")),
                boxstyle=f"round,pad=0,rounding_size={get('rx')}", facecolor=get("fill"),
                edgecolor=get("stroke"), linewidth=float(get("stroke-width", 1)),
                linestyle="--" if dashed else "-", zorder=2))
        elif tag == "ellipse":
            axes.add_patch(Ellipse((float(get("cx")), float(get("cy"))), 2 * float(get("rx")),
                                   2 * float(get("ry")), facecolor=get("fill"),
                                   edgecolor=get("stroke"), zorder=2))
        elif tag == "text":
            axes.text(float(get("x")), float(get("y")), element.text, ha="center",
                      va="baseline", fontsize=float(root.get("font-size")),
                      fontweight=get("font-weight", "normal"), zorder=3)
    return figure


def make_figure():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((8, 4)), name="x")
    kernel = Tensor(rng.standard_normal((4, 3)), requires_grad=True, name="W")
    bias = Tensor(np.zeros(3), requires_grad=True, name="b")
    loss = softmax_cross_entropy((x @ kernel + bias).relu(), rng.integers(0, 3, 8))
    loss.name = "L"
    return svg_to_figure(loss.to_svg())
