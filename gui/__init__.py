"""The desktop app (Qt lives only here): models, views, controllers, workers."""
