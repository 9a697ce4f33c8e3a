"""Karakoram: customs nodes that clear goods across a border by sharing signed information."""

__version__ = "0.1.0"
