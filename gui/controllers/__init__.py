"""Controllers: user actions become model changes and work requests; dialogs go through a view protocol."""
