"""The provinces' own programmes: the shipped catalog (`catalog.py` and one `*.toml` per programme) and what
each province runs (`provinces.py`)."""
