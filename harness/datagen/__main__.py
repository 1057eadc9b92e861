"""``python -m harness.datagen``: the ``harness datagen`` command on its own."""

from harness.datagen.cli import datagen

datagen()
