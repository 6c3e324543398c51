"""A node used twice: the engine's drawing of L = log(a·b + a) after backward().

a reaches L along two paths (through the product and directly into the sum), and
its gradient is the sum of the two. The drawing is Tensor.to_svg(), replayed on
matplotlib axes by svg_to_figure() of the sibling script autodiff_graph.py.
"""

import importlib.util
from pathlib import Path

from glossary_dl.autodiff import Tensor


def _svg_to_figure():
    sibling = Path(__file__).with_name("autodiff_graph.py")
    spec = importlib.util.spec_from_file_location("_figure_autodiff_graph_helper", sibling)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.svg_to_figure


def make_figure():
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(3.0, requires_grad=True, name="b")
    loss = (a * b + a).log()
    loss.name = "L"
    loss.backward()  # ∂L/∂a = (b + 1)/(ab + a) = 0.5, ∂L/∂b = a/(ab + a) = 0.25
    return _svg_to_figure()(loss.to_svg())
