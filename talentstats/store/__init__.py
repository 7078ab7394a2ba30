"""The store: datasets on disk, the writers' lock, run logs, the codebook, and researchers' access."""
