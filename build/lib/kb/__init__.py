"""CACILM Knowledge Base: sourced data → indicators → charts → papermill notebooks → Jupyter Book."""

__version__ = "0.1.0"
