"""Indicators and the towns' assessment, computed from the datasets."""
