"""The application layer: the pipeline, the report documents, the command line and the console chat.

It imports everything and only the entry points import it.
"""
