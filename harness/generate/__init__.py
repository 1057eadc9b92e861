"""Generators of checked-in files (time zone list, job chart schemas); each output says it is generated."""
