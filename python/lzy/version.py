__version__ = "1.0.1.post1"
