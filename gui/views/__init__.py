"""Views: thin widgets bound to the models; user intents leave them as signals."""
