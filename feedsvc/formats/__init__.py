"""Readers for the article file formats: text in, ``Article`` out."""
