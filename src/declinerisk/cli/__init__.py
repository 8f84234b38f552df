"""The ``declinerisk`` command and how it talks to a person on the console."""
