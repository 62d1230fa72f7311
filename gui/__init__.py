"""The desktop app (Qt lives only here): models, views, controllers, workers."""

from gui.binding_guard import protect_singletons as _protect_singletons

_protect_singletons()  # before any widget: a PySide6 build that spends None/True would abort a long session
