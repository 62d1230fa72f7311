"""Full-resolution rendering: the network's motion and synthesis applied to the source photo.

The one place that turns a network output into pixels a user sees (`frame.render_frame`), for the
preview, export and evaluation alike; `geometry` says where an output frame lies on the photo.
"""

from core.render.frame import Composite, ModelFrame, RenderStats, photo_background, render_frame
from core.render.geometry import MAX_CROP_SIZE, OutputGeometry, output_geometry

__all__ = ["MAX_CROP_SIZE", "Composite", "ModelFrame", "OutputGeometry", "RenderStats", "output_geometry", "photo_background", "render_frame"]
