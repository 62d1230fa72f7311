"""Document state and what is loaded, announced with Qt signals; no widgets here."""
