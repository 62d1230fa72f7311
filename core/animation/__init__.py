"""Animation: keyframed controls as plain, immutable data, and the one function that turns a driving
sequence, a source and those controls into the landmarks the renderer draws (`core.animation.direction`).

Qt-free and hashable, so the GUI's widgets, the project file, the CLI and a render cache key all share it.
"""
