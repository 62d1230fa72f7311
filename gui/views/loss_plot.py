"""Live loss curves (pyqtgraph): the generator's losses and the two discriminators on a shared step axis,
each as a faint raw line under a smoothed one, with a legend that gives each curve's latest smoothed value.

pyqtgraph is imported when the plot is built (the panel builds it the first time it is shown), not at
start-up: it costs a few hundred milliseconds. Redraws are throttled, so a fast trainer cannot load the
UI thread; pyqtgraph's clip-to-view and peak downsampling keep long runs cheap to draw. Drawing time is
what the UI thread pays while training (measured at 1000 points: 19 ms per refresh with pyqtgraph's
grid and 2 px lines, 7 ms without the grid and with 1 px lines), so the plots have no grid and thin
lines: under load from training and the preview, the 19 ms became gaps of up to 50 ms.

The plots have least heights, not fixed ones (the Train page scrolls below them, so it fits a 720 px
screen, and they grow with the window); each plot's name is in its legend line and the step axis is
drawn once, under the discriminators, so the height goes to the curves.
"""

from __future__ import annotations

import functools

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui import theme
from gui.models.training import (
    CURVES,
    DISCRIMINATOR_CURVES,
    GENERATOR_CURVES,
    LossHistory,
    debias,
    ema_accumulate,
)

#: Colours of the curves (distinct on the dark background, none of them the error red of the badges).
CURVE_COLOURS = {
    "g_total": "#e6e8ea",
    "g_l1": "#4a8fd6",
    "g_perceptual": "#d9a63a",
    "g_local": "#5cb87a",
    "d_landmark": "#c77dd6",
    "d_identity": "#56b6c2",
}

#: Milliseconds between two redraws at most.
REFRESH_MS = 250
#: Least heights (px) of the generator's plot (log axis, its decades readable) and the discriminators'
#: (with the step axis under it); extra height goes to them 3 : 2.
GENERATOR_MIN_H = 90
DISCRIMINATOR_MIN_H = 75


class LossPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self._pg = pg
        self.history: LossHistory | None = None
        self.smoothing = 0.6
        self.show_raw = True
        self.labels = dict(CURVES)
        self.generator_legend, self.generator_view, self.generator = self._plot(GENERATOR_MIN_H, log_y=True)
        self.discriminator_legend, self.discriminator_view, self.discriminators = self._plot(DISCRIMINATOR_MIN_H,
                                                                                             log_y=False)
        self.discriminators.setXLink(self.generator)
        self.generator.showAxis("bottom", False)  # the same steps as the discriminators' axis under it
        self.raw: dict[str, object] = {}
        self.smooth: dict[str, object] = {}
        self.latest: dict[str, float] = {}
        # Per curve: (history points consumed, drawn steps, drawn values, EMA accumulator), extended as
        # points arrive and rebuilt when the history is replaced or cut, or the smoothing changes.
        self._cache: dict[str, tuple[int, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._cache_key: tuple | None = None
        for key, _label in CURVES:
            plot = self.generator if key in GENERATOR_CURVES else self.discriminators
            colour = CURVE_COLOURS[key]
            faint = pg.mkColor(colour)
            faint.setAlpha(70)
            raw = plot.plot(pen=pg.mkPen(faint, width=1), connect="finite")
            line = plot.plot(pen=pg.mkPen(colour, width=1), connect="finite")
            for item in (raw, line):
                item.setClipToView(True)
                item.setDownsampling(auto=True, method="peak")
            self.raw[key], self.smooth[key] = raw, line
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for widget, stretch in ((self.generator_legend, 0), (self.generator_view, 3), (self.discriminator_legend, 0),
                                (self.discriminator_view, 2)):
            layout.addWidget(widget, stretch)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self.redraws = 0  # how often the curves were redrawn (tests, benchmark)
        self._show_legends()

    def _plot(self, min_height: int, log_y: bool):
        """A legend (a Qt label: the plot's name, the curves' latest smoothed values) over a pyqtgraph plot
        at least `min_height` px high that takes the height it is given."""
        pg = self._pg
        legend = QLabel()
        legend.setWordWrap(True)
        legend.setTextFormat(Qt.TextFormat.RichText)
        view = _plot_view_class()()
        view.setBackground(theme.BASE)
        view.ci.setContentsMargins(2, 6, 6, 2)
        view.setMinimumHeight(min_height)
        view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        plot = view.addPlot()
        plot.setLogMode(x=False, y=log_y)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=True, y=False)
        plot.disableAutoRange()  # `_fit` sets the ranges from the data
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pg.mkPen(theme.BORDER))
            axis.setTextPen(pg.mkPen(theme.DIM))
        plot.getAxis("left").setWidth(40)
        if log_y:  # label the decades and the 2x and 5x ticks only, not every minor tick
            plot.getAxis("left").setStyle(maxTextLevel=1, textFillLimits=[(0, 0.8), (2, 0.6), (4, 0.4)])
        return legend, view, plot

    def _show_legends(self) -> None:
        for legend, title, keys in ((self.generator_legend, "Generator (log scale):", GENERATOR_CURVES),
                                    (self.discriminator_legend, "Discriminators:", DISCRIMINATOR_CURVES)):
            parts = [f"<span style='color:{theme.DIM}; white-space:nowrap'><b>{title}</b></span>"]
            for key in keys:
                value = self.latest.get(key)
                number = f" <span style='color:{theme.TEXT}'>{value:.3g}</span>" if value is not None else ""
                parts.append(f"<span style='white-space:nowrap'><span style='color:{CURVE_COLOURS[key]}'>"
                             f"&#9472;&#9472;</span>&nbsp;<span style='color:{theme.DIM}'>{self.labels[key]}</span>"
                             f"{number}</span>")
            legend.setText(" &nbsp; ".join(parts))

    # -- inputs --------------------------------------------------------------------------------------------
    def set_history(self, history: LossHistory | None) -> None:
        self.history = history
        self._cache.clear()
        self.refresh()

    def set_smoothing(self, weight: float) -> None:
        self.smoothing = min(max(float(weight), 0.0), 0.999)
        self._cache.clear()
        self.schedule_refresh()  # a slider drag recomputes the curves at most every REFRESH_MS

    def set_show_raw(self, show: bool) -> None:
        self.show_raw = show
        for item in self.raw.values():
            item.setVisible(show)
        self.schedule_refresh()  # the value range follows what is shown

    def set_perceptual(self, kind: str | None) -> None:
        """Name the perceptual curve after the distance in use."""
        label = "Perceptual (multi-scale L1)" if kind == "multiscale-l1" else "Perceptual"
        if label != self.labels["g_perceptual"]:
            self.labels["g_perceptual"] = label
            self._show_legends()

    def schedule_refresh(self) -> None:
        """Redraw soon (at most every REFRESH_MS, however often new points arrive)."""
        if not self._timer.isActive():
            self._timer.start()

    # -- drawing ----------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._timer.stop()
        history = self.history
        self.redraws += 1
        self.latest = {}
        if history is None or len(history) == 0:
            self._cache.clear()
            for item in (*self.raw.values(), *self.smooth.values()):
                item.setData([], [])
            self._show_legends()
            return
        size = len(history)
        key = (id(history), history.generation)
        if key != self._cache_key:
            self._cache.clear()  # another history, or points were cut (a run resumed from an earlier step)
            self._cache_key = key
        ranges: list[tuple[bool, float, float, float, float]] = []  # (generator plot?, x0, x1, y0, y1)
        for name, _label in CURVES:
            used, x, y, acc = self._cache.get(name, (0, np.empty(0), np.empty(0), np.empty(0)))
            if used < size:
                values = history.values(name)[used:]
                keep = np.isfinite(values)
                if name in GENERATOR_CURVES:  # log axis: non-positive values cannot be drawn
                    keep &= values > 0
                new_y = values[keep]
                start = float(acc[-1]) if acc.size else 0.0
                x = np.concatenate([x, history.steps[used:][keep].astype(np.float64)])
                y = np.concatenate([y, new_y])
                acc = np.concatenate([acc, ema_accumulate(new_y, self.smoothing, start)])
                self._cache[name] = (size, x, y, acc)
            if y.size == 0:
                self.raw[name].setData([], [])
                self.smooth[name].setData([], [])
                continue
            smoothed = debias(acc, self.smoothing)
            self.raw[name].setData(x, y, skipFiniteCheck=True)
            self.smooth[name].setData(x, smoothed, skipFiniteCheck=True)
            self.latest[name] = float(smoothed[-1])
            shown = y if self.show_raw else smoothed
            ranges.append((name in GENERATOR_CURVES, x[0], x[-1], float(shown.min()), float(shown.max())))
        self._fit(ranges)
        self._show_legends()

    def _fit(self, ranges: list[tuple[bool, float, float, float, float]]) -> None:
        """Show every step and every drawn value: set the ranges from the data directly (pyqtgraph's own
        auto-range walks every curve's bounds at each paint, a large part of a redraw)."""
        if not ranges:
            return
        x0, x1 = min(r[1] for r in ranges), max(r[2] for r in ranges)
        self.generator.setXRange(x0, x1 if x1 > x0 else x0 + 1, padding=0.02)  # the discriminators follow
        for plot, generator in ((self.generator, True), (self.discriminators, False)):
            mine = [r for r in ranges if r[0] == generator]
            if not mine:
                continue
            lo, hi = min(r[3] for r in mine), max(r[4] for r in mine)
            if generator:  # the log axis takes decades
                lo, hi = np.log10(lo), np.log10(hi)
            if hi - lo < 1e-9:
                lo, hi = lo - 0.5, hi + 0.5
            plot.setYRange(lo, hi, padding=0.05)

    def point_count(self, key: str) -> int:
        """How many points the smoothed curve `key` holds (before clipping to the view; tests)."""
        x = self.smooth[key].xData
        return 0 if x is None else len(x)


@functools.cache
def _plot_view_class():
    """pyqtgraph's GraphicsLayoutWidget asking for its least height (pyqtgraph loads late, hence a factory)."""
    import pyqtgraph as pg

    class PlotView(pg.GraphicsLayoutWidget):
        """A plot whose preferred height is its minimum: the page shares out the room above that by stretch
        (Qt's own hint, about 500 px, made the scrolling page far taller than the window)."""

        def sizeHint(self) -> QSize:
            return QSize(super().sizeHint().width(), self.minimumHeight())

    return PlotView
