"""Bar charts drawn on the server as SVG: readable without JavaScript, printed as they are.

The template (``reports/_chart.html``) draws what ``bar_chart`` computes; each bar carries its
figure as text, and the page shows the same figures in a table beside the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 640
HEIGHT = 220
TOP = 20  # room for the figures above the bars
BOTTOM = 30  # room for the month labels
LEFT = 10


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the figure, as shown
    x: float
    y: float
    width: float
    height: float
    show_label: bool = True

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def text_y(self) -> float:
        return round(self.y - 4, 1)

    @property
    def label_y(self) -> int:
        return HEIGHT - BOTTOM + 16


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM


def bar_chart(
    *,
    title: str,
    description: str,
    points: Sequence[tuple[str, Decimal | int, str]],
) -> Chart:
    """``points`` are (label, value, value as text); negative values are drawn as zero."""
    drawable = HEIGHT - TOP - BOTTOM
    highest = max((Decimal(value) for _label, value, _text in points), default=Decimal(0))
    slot = (WIDTH - LEFT) / max(len(points), 1)
    # Past a year of months, one label in every few so that they do not overlap.
    label_every = max(1, -(-len(points) // 12))
    bars = []
    for n, (label, value, text) in enumerate(points):
        share = Decimal(value) / highest if highest > 0 and value > 0 else Decimal(0)
        height = round(float(share) * drawable, 1)
        bars.append(
            Bar(
                label=label,
                text=text,
                x=round(LEFT + n * slot + slot * 0.15, 1),
                y=round(HEIGHT - BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=height,
                show_label=n % label_every == 0,
            )
        )
    return Chart(title=title, description=description, bars=bars)
